"""What the GetBill client offers for settling lost batches apart: its clock, an exact
listing by creation time, and batches left unsettled on request."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from debtkit_getbill.simulator import RunningSimulator

from debtkit.exactly_once import is_ambiguous
from debtkit.simulator import Faults
from tests.adapters.getbill.helpers import person_debt


async def test_the_simulator_dates_its_answers_by_its_own_clock(
    getbill_simulator_factory: Any,
) -> None:
    sim: RunningSimulator = await getbill_simulator_factory(clock=lambda: time.time() - 7200)
    async with sim.connect() as client:
        await client.find_created(["X"], created_after=dt.datetime.now(dt.timezone.utc))
        latest = client.provider_clock.latest(client.provider_clock.now())
    assert client.provider_clock.known
    assert latest is not None
    hours_behind = (dt.datetime.now(dt.timezone.utc) - latest).total_seconds() / 3600
    assert 1.9 < hours_behind < 2.1


async def test_a_lost_batch_left_unsettled_costs_no_read_and_stays_ambiguous(
    getbill_simulator_factory: Any,
) -> None:
    lost = Faults(lost_response=1.0, only_methods=("POST",), only_paths=("/external-api",))
    sim: RunningSimulator = await getbill_simulator_factory(faults=lost)
    async with sim.connect() as client:
        results = await client.create_batch(
            [person_debt("U-1"), person_debt("U-2")], settle_lost=False
        )
    assert all(r.error is not None and is_ambiguous(r.error) for r in results)
    assert sim.state.requests(bucket="read") == []
    assert sim.state.internal_id_counts() == {"U-1": 1, "U-2": 1}


async def test_find_created_bounds_the_listing_in_whole_seconds_on_the_provider_clock(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        await client.create(person_debt("W-1"), check_existing=False)
        record = next(iter(getbill_simulator.state.debts.values()))
        stamped = dt.datetime.fromisoformat(record["import_date"])
        found = await client.find_created(
            ["W-1"], created_after=stamped + dt.timedelta(microseconds=900_000)
        )
    assert set(found) == {"W-1"}
    (listing,) = getbill_simulator.state.requests(method="GET", path="/debts")
    assert listing.query["created_after"] == stamped.isoformat()
