"""One worker process of the shared-budget test: greedy callers through a Redis budget.

python -m tests.core.redis_worker REDIS_URL ORIGIN NAMESPACE LIMIT WINDOW START_AT SECONDS
"""

from __future__ import annotations

import asyncio
import sys
import time

from debtkit import RateLimit
from debtkit.budget.redis_books import shared_budget
from debtkit.transport import Request, Transport

TASKS = 5


async def main(argv: list[str]) -> None:
    redis_url, origin, namespace = argv[:3]
    limit, window, start_at, seconds = int(argv[3]), float(argv[4]), float(argv[5]), float(argv[6])
    budget = shared_budget(
        redis_url,
        provider="loop",
        credentials={"api_key": "shared-secret"},
        limits=[RateLimit("all", limit, window)],
        namespace=namespace,
        poll=0.05,
    )

    async def caller() -> None:
        while True:
            await transport.request(Request("GET", "items"))

    async with Transport(provider="loop", base_url=origin, gate=budget) as transport:
        await asyncio.sleep(max(start_at - time.time(), 0))
        callers = [asyncio.ensure_future(caller()) for _ in range(TASKS)]
        await asyncio.sleep(seconds)
        for task in callers:
            task.cancel()
        await asyncio.gather(*callers, return_exceptions=True)
    await budget.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
