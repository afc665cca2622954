"""One rate budget for every process importing into one account, kept in Redis.

Run several copies of a script like this one on several hosts: together they never exceed
the provider's limits, and they use all of them. Needs ``pip install 'debtkit[redis]'`` and a
Redis server at REDIS_URL (default ``redis://localhost:6379/0``). Run as it is, it starts
GetBill's simulator with its hour compressed to a tenth of a second and sends 30 debts
through two clients that share the budget, as two processes would.
"""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal

from debtkit_getbill import GetBillAdapter
from debtkit_getbill.simulator import RunningSimulator

from debtkit import Debt, Debtor, load_adapter
from debtkit.budget.redis_books import shared_budget_for_adapter

TIME_SCALE = 36_000.0  # the simulator's hour lasts 0.1 s


def debt(number: int) -> Debt:
    debtor = Debtor(first_name="Ana", last_name="Lopez", email=f"ana{number}@example.com")
    return Debt(f"R-{number}", debtor, Decimal("42.00"), "EUR")


async def main() -> None:
    redis_url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    adapter = load_adapter("getbill", GetBillAdapter)
    async with RunningSimulator(time_scale=TIME_SCALE) as simulator:
        credentials = simulator.credentials
        # --8<-- [start:budget]
        budget = shared_budget_for_adapter(
            redis_url, adapter, credentials, time_scale=TIME_SCALE, namespace="example"
        )
        first = adapter.connect(credentials, base_url=simulator.base_url, gate=budget)
        second = adapter.connect(credentials, base_url=simulator.base_url, gate=budget)
        async with first, second:  # in real life: one per process, each with its own budget
            await asyncio.gather(
                *(client.create(debt(n)) for n, client in enumerate([first, second] * 15))
            )
            created = [case async for case in first.cases()]
        await budget.aclose()
        # --8<-- [end:budget]
        refused = sum(1 for entry in simulator.state.requests() if entry.status == 429)
        print(f"{len(created)} debts created, {refused} answered 429")
        if len(created) != 30 or refused:
            raise SystemExit("the shared budget did not hold")


if __name__ == "__main__":
    asyncio.run(main())
