"""debtkit against raw aiohttp, GET case by id, the Debitura simulator in its own process.

Both sides fetch the same case with the same concurrency (16 tasks) over one aiohttp session;
debtkit adds auth headers, exact-Decimal JSON, error mapping, the budget gate and the mapping
of the InvoiceDto to a `Case`. The simulator runs in another process (`benchmarks.server`), so
neither side's figures carry the server's CPU. Two figures per side, best of interleaved
rounds: requests per second, and the client process's CPU time per request
(`time.process_time`), which does not depend on how fast the server answers. debtkit is
measured with its budget on (sized never to bind: it is part of every request's cost) and
with `gate=NO_BUDGET`, which separates the budget's cost from the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp

from benchmarks.report import Figure
from benchmarks.server import out_of_process
from debtkit import load_adapter
from debtkit.budget import NO_BUDGET
from debtkit.sample import sample_debts

HIGH = {"minute": 10**9, "hour": 10**9, "day": 10**9}
CONCURRENCY = 16


async def _round(fetch: Callable[[], Awaitable[object]], requests: int) -> tuple[float, float]:
    """(requests per second, client CPU seconds per request) of one round."""

    async def worker(count: int) -> None:
        for _ in range(count):
            await fetch()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(requests // CONCURRENCY) for _ in range(CONCURRENCY)))
    done = requests // CONCURRENCY * CONCURRENCY
    return done / (time.perf_counter() - wall), (time.process_time() - cpu) / done


async def _measure(requests: int, rounds: int) -> dict[str, tuple[float, float]]:
    adapter = load_adapter("debitura")
    async with out_of_process("debitura", unlimited=True) as served:
        key = served.credentials["api_key"]
        session = aiohttp.ClientSession()
        options = {"base_url": served.base_url, "session": session}
        budgeted = adapter.connect(served.credentials, rate_overrides=HIGH, **options)
        unbudgeted = adapter.connect(served.credentials, gate=NO_BUDGET, **options)
        async with session, budgeted as client, unbudgeted as bare_client:
            case = await client.create(next(iter(sample_debts(1, seed=1, broken=0.0))))
            url = f"{served.base_url}/cases/{case.provider_id}"

            async def raw() -> object:
                async with session.get(url, headers={"XApiKey": key}) as response:
                    return await response.json()

            sides = {
                "raw": raw,
                "debtkit": lambda: client.get(case.provider_id),
                "no_budget": lambda: bare_client.get(case.provider_id),
            }
            best = dict.fromkeys(sides, (0.0, float("inf")))
            for _ in range(rounds):
                for name, fetch in sides.items():
                    rate, cpu = await _round(fetch, requests)
                    best[name] = (max(best[name][0], rate), min(best[name][1], cpu))
    return best


def run(quick: bool = False) -> list[Figure]:
    best = asyncio.run(_measure(480 if quick else 3_200, 2 if quick else 6))
    raw_rate, raw_cpu = best["raw"]
    figures = []
    for side, what in (("debtkit", "budget on"), ("no_budget", "budget off")):
        rate, cpu = best[side]
        slowdown = raw_rate / rate
        figures += [
            Figure(
                "overhead",
                f"requests/s, GET case, {what}",
                rate,
                raw_rate,
                "req/s",
                "<= 1.2x slower",
                slowdown <= 1.2,
                note=f"{what}: {slowdown:.2f}x slower than raw aiohttp in requests/s "
                f"(server out of process, {CONCURRENCY} tasks)",
            ),
            Figure(
                "overhead",
                f"client CPU per request, {what}",
                cpu * 1e6,
                raw_cpu * 1e6,
                "us",
                "(reported)",
                True,
                note=f"{what}: the client process's CPU per request is {cpu / raw_cpu:.2f}x "
                "raw aiohttp's",
            ),
        ]
    return figures
