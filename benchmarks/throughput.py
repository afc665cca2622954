"""Debts per budget-hour into GetBill: debtkit's bulk import versus one POST per debt.

GetBill allows 500 writes an hour. Both sides import into the simulator and count the writes
its own log admitted; debts per budget-hour = debts created per write x 500.

ASSUMPTION: the headline counts a batch request (up to 1,000 debts) as ONE write, as the
simulator does by default. GetBill's docs do not say how a batch is counted. Under the other
reading, where each debt of a batch counts as a write, batching saves requests but not budget:
the second figure gives debts per budget-hour under that reading, from the same run (writes
counted as the debts carried by the admitted write requests).
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


async def _per_write(count: int, batched: bool) -> tuple[float, float]:
    """Debts created per admitted write, counting a batch as one write and as its debts."""
    async with simulator("getbill", time_scale=3600) as (app, server):
        async with connect("getbill", app, server) as client:
            debts = _valid(client, count, "TPUT" if batched else "POST")
            target: object = client if batched else _OnePostPerDebt(client)  # type: ignore[arg-type]
            created = sum([r.outcome.ok async for r in bulk_import(target, debts)])  # type: ignore[arg-type]
        from debtkit_getbill.simulator import STATE

        admitted = [r for r in app[STATE].requests(bucket="write") if r.admitted]
    items = sum(len(r.body["debts"]) if r.path.endswith("batch") else 1 for r in admitted)
    return created / len(admitted), created / items


def run(quick: bool = False) -> list[Figure]:
    per_request, per_item = asyncio.run(_per_write(5_000 if quick else 20_000, batched=True))
    single, _ = asyncio.run(_per_write(200 if quick else 1_000, batched=False))
    batched, single = per_request * WRITES_PER_HOUR, single * WRITES_PER_HOUR
    return [
        Figure(
            "throughput",
            "debts per budget-hour",
            batched,
            single,
            "debts/h",
            ">= 200,000 debts/h",
            batched >= 200_000,
            note="ASSUMES a batch counts as one write (undocumented); GetBill simulator, "
            "500 writes/h; baseline = one POST /debts per debt",
        ),
        Figure(
            "throughput",
            "debts per budget-hour, each debt of a batch counted",
            per_item * WRITES_PER_HOUR,
            single,
            "debts/h",
            "(reported)",
            True,
            note="the other reading of GetBill's docs: batching then saves requests, not budget",
        ),
    ]
