"""GetBill does not deduplicate creditor references; GetBillClient does (README: "debtkit
never creates it twice"), with an opt-out for callers that guarantee uniqueness."""

from __future__ import annotations

import pytest
from debtkit_getbill.simulator import RunningSimulator

from debtkit import DuplicateError
from tests.adapters.getbill.helpers import person_debt


async def test_creating_the_same_reference_twice_creates_it_once(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        await client.create(person_debt("TWICE-1"))
        with pytest.raises(DuplicateError):
            await client.create(person_debt("TWICE-1"))
    assert getbill_simulator.state.internal_id_counts() == {"TWICE-1": 1}


async def test_duplicate_names_the_reference_and_carries_the_existing_debt(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        first = await client.create(person_debt("TWICE-2"))
        with pytest.raises(DuplicateError) as caught:
            await client.create(person_debt("TWICE-2"))
    assert caught.value.reference == "TWICE-2"
    assert caught.value.existing.provider_id == first.provider_id
    assert "TWICE-2" not in str(caught.value)  # references stay out of messages


async def test_the_existence_check_costs_one_read_and_no_write(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        await client.create(person_debt("TWICE-3"))
        with pytest.raises(DuplicateError):
            await client.create(person_debt("TWICE-3"))
    assert len(getbill_simulator.state.requests(method="POST", path="/debts")) == 1
    assert len(getbill_simulator.state.requests(method="GET", path="/debts")) == 2


async def test_opting_out_sends_without_a_lookup(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        await client.create(person_debt("OPT-OUT"), check_existing=False)
    assert getbill_simulator.state.requests(method="GET", path="/debts") == []
    assert getbill_simulator.state.internal_id_counts() == {"OPT-OUT": 1}


async def test_reference_repeated_within_one_batch_is_sent_once(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        results = await client.create_batch(
            [person_debt("B-1"), person_debt("B-2"), person_debt("B-1")]
        )
    assert [r.ok for r in results] == [True, True, False]
    assert isinstance(results[2].error, DuplicateError)
    assert getbill_simulator.state.internal_id_counts() == {"B-1": 1, "B-2": 1}
