"""Lost GetBill batches settled in the background, against the simulator on loopback."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import time
from collections.abc import Collection, Sequence
from typing import Any

import pytest
from debtkit_getbill.client import GetBillClient
from debtkit_getbill.simulator import RunningSimulator

from debtkit.bulk import BulkResult, Outcome, bulk_import
from debtkit.model import Case, Debt
from debtkit.plugin import ItemResult
from debtkit.provider_clock import ProviderClock
from debtkit.simulator import Faults
from tests.adapters.getbill.helpers import person_debt

LOST_POSTS = {"only_methods": ("POST",), "only_paths": ("/external-api",)}


def debts(count: int, prefix: str) -> list[Debt]:
    return [person_debt(f"{prefix}-{i:03d}") for i in range(count)]


def listings(sim: RunningSimulator) -> list[Any]:
    return [
        r for r in sim.state.requests(method="GET", path="/debts") if "created_after" in r.query
    ]


def quick_clock() -> ProviderClock:
    """Simulator and client share this machine's clock: small margins keep tests short."""
    return ProviderClock(skew=0.5, in_flight=0.5)


async def run(client: GetBillClient, batch: list[Debt], **options: Any) -> list[BulkResult]:
    return [r async for r in bulk_import(client, batch, batch_size=2, **options)]


async def test_no_debt_is_created_twice_when_answers_are_lost_reset_or_failed(
    getbill_simulator_factory: Any,
) -> None:
    faults = Faults(lost_response=0.15, reset=0.05, server_error=0.05, seed=7, **LOST_POSTS)
    sim: RunningSimulator = await getbill_simulator_factory(faults=faults)
    batch = debts(200, "DUP")
    async with sim.connect() as client:
        client.provider_clock = quick_clock()
        results = await run(client, batch, concurrency=4)
    counts = sim.state.internal_id_counts()
    assert max(counts.values()) == 1
    created = {r.creditor_reference for r in results if r.outcome is Outcome.CREATED}
    assert created <= set(counts)
    assert len(results) == len(batch)
    assert faults.served["lost_response"] > 0
    assert faults.served["reset"] > 0


async def test_batches_lost_together_are_settled_by_one_shared_listing(
    getbill_simulator_factory: Any,
) -> None:
    sim: RunningSimulator = await getbill_simulator_factory(
        faults=Faults(
            lost_response=1.0, only_methods=("POST",), only_paths=("/external-api/v1/debts/batch",)
        )
    )
    async with sim.connect() as client:
        returned = 0
        create_batch, find_created = client.create_batch, client.find_created

        async def counting(debts: Sequence[Debt], **options: Any) -> list[ItemResult]:
            nonlocal returned
            results = await create_batch(debts, **options)
            returned += 1  # the importer hands the lost batch over before it awaits again
            return results

        async def once_all_are_lost(
            references: Collection[str], *, created_after: dt.datetime
        ) -> dict[str, Case]:
            for _ in range(6000):  # the first listing waits until all four batches are lost
                if returned == 4:
                    break
                await asyncio.sleep(0.01)
            return await find_created(references, created_after=created_after)

        client.create_batch = counting  # type: ignore[method-assign]
        client.find_created = once_all_are_lost  # type: ignore[method-assign]
        results = await run(client, debts(8, "SHARE"), concurrency=4)
    assert [r.outcome for r in results] == [Outcome.CREATED] * 8
    assert len(sim.state.requests(method="POST", path="/debts/batch")) == 4
    # The first lost batch's listing, then one listing (one page) for the other three.
    assert len(listings(sim)) == 2
    assert max(sim.state.internal_id_counts().values()) == 1


@pytest.mark.parametrize("provider_offset", [-3600.0, 3600.0], ids=["behind", "ahead"])
async def test_the_listing_window_follows_the_provider_clock_not_the_local_one(
    getbill_simulator_factory: Any, provider_offset: float
) -> None:
    faults = Faults(lost_response=0.3, seed=9, **LOST_POSTS)  # the first two go through
    sim: RunningSimulator = await getbill_simulator_factory(
        faults=faults, clock=lambda: time.time() + provider_offset
    )
    batch = debts(40, "SKEW")
    async with sim.connect() as client:
        client.provider_clock = quick_clock()
        results = await run(client, batch, concurrency=2)
    assert collections.Counter(r.outcome for r in results) == {Outcome.CREATED: 40}
    assert sim.state.internal_id_counts() == {d.creditor_reference: 1 for d in batch}
    seen = listings(sim)
    assert seen
    for listing in seen:
        created_after = dt.datetime.fromisoformat(listing.query["created_after"]).timestamp()
        # On the simulator's clock: before the listing, and not far before (a lost batch is
        # listed as soon as it is lost; the local clock is an hour away).
        assert listing.at - 60.0 <= created_after <= listing.at


async def test_the_pipeline_keeps_sending_while_a_lost_batch_is_being_listed(
    getbill_simulator_factory: Any,
) -> None:
    faults = Faults(lost_response=0.3, seed=32, **LOST_POSTS)  # the first batch is lost
    sim: RunningSimulator = await getbill_simulator_factory(faults=faults)

    def written() -> int:
        return len(sim.state.requests(method="POST", path="/debts/batch"))

    async with sim.connect() as client:
        client.provider_clock = quick_clock()
        find_created = client.find_created
        during_first_listing: list[int] = []

        async def slow_listing(
            references: Collection[str], *, created_after: dt.datetime
        ) -> dict[str, Case]:
            if not during_first_listing:
                before = written()
                for _ in range(6000):  # up to a minute for five more batches to go out
                    if written() >= before + 5:
                        break
                    await asyncio.sleep(0.01)
                during_first_listing.append(written() - before)
            return await find_created(references, created_after=created_after)

        client.find_created = slow_listing  # type: ignore[method-assign]
        results = await run(client, debts(40, "FLOW"), concurrency=2)
    assert during_first_listing
    assert during_first_listing[0] >= 5
    assert collections.Counter(r.outcome for r in results) == {Outcome.CREATED: 40}
    assert max(sim.state.internal_id_counts().values()) == 1
