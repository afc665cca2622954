"""Debts per budget-hour into GetBill: debtkit's bulk import versus one POST per debt.

GetBill allows 500 writes an hour. Both sides import into the simulator and count the writes
its own log admitted; debts per budget-hour = debts created per write x 500.
"""

from __future__ import annotations

import asyncio
import itertools

from benchmarks.report import Figure
from benchmarks.simulators import connect, simulator
from debtkit.bulk import bulk_import
from debtkit.model import Debt
from debtkit.plugin import ProviderClient
from debtkit.sample import sample_debts

WRITES_PER_HOUR = 500


def _valid(client: object, count: int, prefix: str) -> list[Debt]:
    sample = sample_debts(int(count * 1.05), seed=17, broken=0.0, prefix=prefix)
    return list(itertools.islice((d for d in sample if client.check(d).ok), count))  # type: ignore[attr-defined]


class _OnePostPerDebt:
    """The client without its batch endpoint: what a naive integration does."""

    def __init__(self, client: ProviderClient) -> None:
        self._client = client
        self.provider = client.provider

    def check(self, debt: Debt) -> object:
        return self._client.check(debt)

    async def create(self, debt: Debt) -> object:
        return await self._client.create(debt)

    async def find(self, reference: str) -> object:
        return await self._client.find(reference)


async def _per_write(count: int, batched: bool) -> float:
    async with simulator("getbill", time_scale=3600) as (app, server):
        async with connect("getbill", app, server) as client:
            debts = _valid(client, count, "TPUT" if batched else "POST")
            target: object = client if batched else _OnePostPerDebt(client)  # type: ignore[arg-type]
            created = sum([r.outcome.ok async for r in bulk_import(target, debts)])  # type: ignore[arg-type]
        from debtkit_getbill.simulator import STATE

        writes = sum(1 for r in app[STATE].requests(bucket="write") if r.admitted)
    return created / writes


def run(quick: bool = False) -> list[Figure]:
    batched = asyncio.run(_per_write(5_000 if quick else 20_000, batched=True)) * WRITES_PER_HOUR
    single = asyncio.run(_per_write(200 if quick else 1_000, batched=False)) * WRITES_PER_HOUR
    return [
        Figure(
            "throughput",
            "debts per budget-hour",
            batched,
            single,
            "debts/h",
            ">= 200,000 debts/h",
            batched >= 200_000,
            note="GetBill simulator, 500 writes/h; baseline = one POST /debts per debt",
        )
    ]
