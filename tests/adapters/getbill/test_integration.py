"""The adapter against the GetBill simulator on loopback: every call and every error type."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from debtkit_getbill import ExpensiveDestinationError
from debtkit_getbill.pytest_plugin import SimulatorFactory
from debtkit_getbill.simulator import ClientConfig, RunningSimulator

from debtkit import (
    AmbiguousWriteError,
    BadRequestError,
    CaseStatus,
    ContactPerson,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from debtkit.budget import NO_BUDGET
from debtkit.retry import NO_RETRY, RetryPolicy
from debtkit.simulator import Faults
from tests.adapters.getbill.helpers import FakeClock, person_debt, with_debtor
from tests.conftest import make_full_debt


async def test_create_stores_the_debt_and_returns_a_pending_case(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(make_full_debt())
    assert (case.status, case.provider_status) == (CaseStatus.PENDING, "status.default.pending")
    assert (case.creditor_reference, case.amount) == ("INV-2024-001", Decimal("1250.00"))
    stored = getbill_simulator.state.debts[case.provider_id]
    assert (stored["firstname"], stored["debtor_company"], stored["phone"]) == (
        "John",
        "ACME Corporation",
        "+33612345678",
    )
    assert stored["metadata"] == {
        "crm_id": "crm-42",
        "tags": ["b2b", "priority"],
        "score": Decimal("0.75"),
    }


async def test_national_phone_is_sent_as_e164(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        await client.create(person_debt())
    (entry,) = getbill_simulator.state.requests(method="POST")
    assert entry.body["phone"] == "+33612345678"


async def test_get_returns_the_created_debt(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        created = await client.create(person_debt())
        fetched = await client.get(created.provider_id)
    assert fetched == created


async def test_find_matches_the_exact_reference_among_similar_ones(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        await client.create_batch([person_debt("REF-10"), person_debt("XREF-1")])
        wanted = await client.create(person_debt("REF-1"))
        assert await client.find("REF-1") == wanted
        assert await client.find("REF-2") is None


async def test_listing_250_debts_reads_three_pages_each_debt_once(
    getbill_simulator: RunningSimulator,
) -> None:
    debts = [person_debt(f"L-{i:03}") for i in range(250)]
    async with getbill_simulator.connect() as client:
        assert all(r.ok for r in await client.create_batch(debts))
        listed = [case.creditor_reference async for case in client.cases()]
    assert sorted(listed) == [d.creditor_reference for d in debts]
    pages = getbill_simulator.state.requests(method="GET", path="/debts")
    assert [(e.query["page"], e.query["limit"]) for e in pages] == [
        ("1", "100"),
        ("2", "100"),
        ("3", "100"),
    ]


async def test_listing_250_debts_with_filters_pages_through_the_matches(
    getbill_simulator: RunningSimulator,
) -> None:
    debts = [
        person_debt(f"F-{i:03}", amount=Decimal(i + 1), currency="USD" if i % 5 == 0 else "EUR")
        for i in range(250)
    ]
    async with getbill_simulator.connect() as client:
        await client.create_batch(debts)
        listed = [
            case.creditor_reference
            async for case in client.cases(
                currency="EUR", amount_min=Decimal("11"), amount_max=Decimal("240")
            )
        ]
    expected = [
        d.creditor_reference
        for d in debts
        if d.currency == "EUR" and Decimal(11) <= d.amount <= Decimal(240)
    ]
    assert len(expected) == 184
    assert sorted(listed) == expected
    pages = getbill_simulator.state.requests(method="GET", path="/debts")
    assert [e.query["page"] for e in pages] == ["1", "2"]
    assert all(
        (e.query["currency"], e.query["amount_min"], e.query["amount_max"]) == ("EUR", "11", "240")
        for e in pages
    )


async def test_listing_filters_by_status_search_and_creation_time(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    clock = FakeClock(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc).timestamp())
    sim: RunningSimulator = await getbill_simulator_factory(clock=clock)
    async with sim.connect(clock=clock) as client:
        early = await client.create(person_debt("S-1"))
        clock.advance(86400 * 2)
        await client.create(person_debt("S-2"))
        await client.update(early.provider_id, status="paid")
        paid = [c.provider_id async for c in client.cases(status="status.default.paid")]
        since = dt.date(2024, 1, 2)
        recent = [c.creditor_reference async for c in client.cases(created_after=since)]
        searched = [c.creditor_reference async for c in client.cases(search="s-2")]
    assert paid == [early.provider_id]
    assert recent == ["S-2"]
    assert searched == ["S-2"]


async def test_update_to_an_allowed_status_changes_the_case(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        updated = await client.update(case.provider_id, status=CaseStatus.ON_HOLD)
    assert (updated.status, updated.provider_status) == (
        CaseStatus.ON_HOLD,
        "status.default.on_hold",
    )


async def test_update_to_a_refused_status_sends_nothing(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        with pytest.raises(ValidationError) as caught:
            await client.update(case.provider_id, status="status.default.pending")
    assert [(p.path, p.code) for p in caught.value.problems] == [("status", "not_writable")]
    assert getbill_simulator.state.requests(method="PUT") == []


async def test_update_sends_only_the_given_fields(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(make_full_debt())
        await client.update(case.provider_id, city="Lyon", due_date=dt.date(2024, 2, 15))
    (put,) = getbill_simulator.state.requests(method="PUT")
    assert put.body == {"city": "Lyon", "due_date": "2024-02-15"}
    stored = getbill_simulator.state.debts[case.provider_id]
    assert (stored["city"], stored["firstname"]) == ("Lyon", "John")


async def test_update_with_metadata_none_clears_it(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(make_full_debt())
        updated = await client.update(case.provider_id, metadata=None)
    assert updated.raw["metadata"] is None


async def test_delete_removes_the_debt(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        await client.delete(case.provider_id)
        with pytest.raises(NotFoundError):
            await client.get(case.provider_id)
    assert getbill_simulator.state.deleted == [case.provider_id]


async def test_batch_with_mixed_items_reports_each_in_input_order(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim: RunningSimulator = await getbill_simulator_factory()
    debts = [
        person_debt("OK-1"),
        with_debtor(person_debt("LOCAL-BAD"), civility="Dr"),  # refused locally
        with_debtor(person_debt("COSTLY"), phone="+262692123456"),  # refused by GetBill
        with_debtor(person_debt("PLACEHOLDER"), first_name="*"),  # skipped by GetBill
        person_debt("OK-2"),
    ]
    async with sim.connect(relax=["getbill.expensive_destination"]) as client:
        results = await client.create_batch(debts)
    assert [r.index for r in results] == [0, 1, 2, 3, 4]
    assert [r.ok for r in results] == [True, False, False, False, True]
    assert isinstance(results[1].error, ValidationError)
    costly = results[2].error
    assert isinstance(costly, ExpensiveDestinationError)
    assert (costly.destination, costly.credits) == ("RE", 100)
    assert isinstance(results[3].error, BadRequestError)
    assert [p.code for p in results[3].error.problems] == ["skipped"]
    assert sim.state.internal_id_counts() == {"OK-1": 1, "OK-2": 1}
    (batch,) = sim.state.requests(path="/debts/batch")
    assert [item["internal_id"] for item in batch.body["debts"]] == [
        "OK-1",
        "COSTLY",
        "PLACEHOLDER",
        "OK-2",
    ]


async def test_batch_in_small_chunks_creates_every_debt_once(
    getbill_simulator: RunningSimulator,
) -> None:
    debts = [person_debt(f"C-{i}") for i in range(5)]
    async with getbill_simulator.connect() as client:
        results = await client.create_batch(debts, chunk_size=2)
    assert all(r.ok for r in results)
    assert len(getbill_simulator.state.requests(path="/debts/batch")) == 3
    assert set(getbill_simulator.state.internal_id_counts().values()) == {1}


# -- each error type --------------------------------------------------------------------


async def test_getbill_validation_failure_is_a_bad_request_with_neutral_paths(
    getbill_simulator: RunningSimulator,
) -> None:
    company = with_debtor(make_full_debt(), contact_person=ContactPerson(None, None))
    async with getbill_simulator.connect(relax=["getbill.names"]) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.create(company)
    assert {p.path for p in caught.value.problems} == {"debtor.first_name", "debtor.last_name"}


async def test_missing_scope_is_permission_denied(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim: RunningSimulator = await getbill_simulator_factory(scopes=("debts:read",))
    async with sim.connect() as client:
        with pytest.raises(PermissionDeniedError):
            await client.create(person_debt())
        assert await client.find("x") is None  # reading is still allowed


async def test_unknown_debt_is_not_found(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        with pytest.raises(NotFoundError):
            await client.get("nope")
        with pytest.raises(NotFoundError):
            await client.delete("nope")


async def test_expensive_destination_refused_by_getbill_is_its_own_error(
    getbill_simulator: RunningSimulator,
) -> None:
    debt = with_debtor(person_debt(), phone="+212612345678")
    async with getbill_simulator.connect(relax=["getbill.expensive_destination"]) as client:
        with pytest.raises(ExpensiveDestinationError) as caught:
            await client.create(debt)
    assert (caught.value.status, caught.value.destination, caught.value.credits) == (
        422,
        "MA",
        125,
    )


async def test_expensive_destination_with_the_opt_in_is_created(
    getbill_simulator: RunningSimulator,
) -> None:
    debt = with_debtor(
        person_debt(options={"getbill": {"accept_expensive_destination": True}}),
        phone="+262692123456",
    )
    async with getbill_simulator.connect() as client:
        case = await client.create(debt)
    assert getbill_simulator.state.debts[case.provider_id]["phone"] == "+262692123456"


async def test_write_budget_exhausted_is_rate_limited_with_retry_after(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    clock = FakeClock()
    sim: RunningSimulator = await getbill_simulator_factory(
        write_limit=3, time_scale=3600, clock=clock
    )
    async with sim.connect(clock=clock, gate=NO_BUDGET) as client:
        for i in range(3):
            await client.create(person_debt(f"W-{i}"))
        with pytest.raises(RateLimitedError) as caught:
            await client.create(person_debt("W-3"))
        assert caught.value.retry_after == pytest.approx(1.0)
        clock.advance(1.0)
        await client.create(person_debt("W-3"))
    assert len(sim.state.debts) == 4


async def test_read_rate_limit_is_waited_out_by_the_retry_policy(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim: RunningSimulator = await getbill_simulator_factory(read_limit=2, window=0.3)
    async with sim.connect(retry=RetryPolicy(attempts=3), gate=NO_BUDGET) as client:
        for _ in range(3):
            assert await client.find("x") is None
    statuses = [e.status for e in sim.state.requests(bucket="read")]
    assert statuses == [200, 200, 429, 200]


async def test_default_budget_waits_for_the_window_instead_of_meeting_a_429(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim: RunningSimulator = await getbill_simulator_factory(read_limit=2, window=0.3)
    async with sim.connect(rate_overrides={"read": 2}, time_scale=3600 / 0.3) as client:
        for _ in range(5):
            assert await client.find("x") is None
    assert [e.status for e in sim.state.requests(bucket="read")] == [200] * 5


async def test_server_error_is_a_server_error(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    faults = Faults(server_error=1.0, only_paths=("/external-api/",))
    sim: RunningSimulator = await getbill_simulator_factory(faults=faults)
    async with sim.connect(retry=NO_RETRY) as client:
        with pytest.raises(ServerError):
            await client.get("abc")


async def test_lost_create_answer_is_found_by_lookup_and_not_resent(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    faults = Faults(lost_response=1.0, only_methods=("POST",), only_paths=("/external-api",))
    sim: RunningSimulator = await getbill_simulator_factory(faults=faults)
    async with sim.connect() as client:
        case = await client.create(person_debt("LOST-1"))
    assert case.creditor_reference == "LOST-1"
    assert sim.state.internal_id_counts() == {"LOST-1": 1}


async def test_create_failing_before_commit_is_sent_again_after_a_lookup(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    faults = Faults(server_error=0.5, only_methods=("POST",), only_paths=("/external-api",), seed=3)
    sim: RunningSimulator = await getbill_simulator_factory(faults=faults)
    async with sim.connect(retry=RetryPolicy(attempts=8, base=0.0, cap=0.0)) as client:
        for index in range(10):
            await client.create(person_debt(f"FLAKY-{index}"))
    assert sim.state.internal_id_counts() == {f"FLAKY-{i}": 1 for i in range(10)}


async def test_create_whose_lookup_also_fails_is_explicitly_ambiguous(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    faults = Faults(lost_response=1.0, only_paths=("/external-api",))
    sim: RunningSimulator = await getbill_simulator_factory(faults=faults)
    async with sim.connect(retry=RetryPolicy(attempts=2, base=0.0, cap=0.0)) as client:
        with pytest.raises(AmbiguousWriteError) as caught:
            await client.create(person_debt("LOST-2"), check_existing=False)
    assert caught.value.references == ("LOST-2",)
    assert sim.state.internal_id_counts() == {"LOST-2": 1}


async def test_lost_batch_answer_is_settled_by_one_bounded_listing(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    faults = Faults(lost_response=1.0, only_methods=("POST",), only_paths=("/external-api",))
    sim: RunningSimulator = await getbill_simulator_factory(faults=faults)
    async with sim.connect() as client:
        results = await client.create_batch([person_debt("A"), person_debt("B")])
    assert [r.case.creditor_reference for r in results if r.case] == ["A", "B"]
    assert sim.state.internal_id_counts() == {"A": 1, "B": 1}
    listings = sim.state.requests(method="GET", path="/debts")
    assert len(listings) == 1
    assert "created_after" in listings[0].query


async def test_rate_headers_reach_the_client(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        await client.create(person_debt(), check_existing=False)
        await client.find("x")
        observed = client.rate_observations
    assert (observed["write"].limit, observed["write"].remaining) == (500, 499)
    assert (observed["read"].limit, observed["read"].remaining) == (1000, 999)


async def test_concurrent_creates_are_each_stored_once(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        await asyncio.gather(*(client.create(person_debt(f"P-{i}")) for i in range(20)))
    counts = getbill_simulator.state.internal_id_counts()
    assert len(counts) == 20
    assert set(counts.values()) == {1}


async def test_second_oauth_client_has_its_own_budget(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim: RunningSimulator = await getbill_simulator_factory(
        write_limit=1, clients={"other": ClientConfig("other-secret")}
    )
    async with (
        sim.connect(gate=NO_BUDGET) as first,
        sim.connect(
            {"client_id": "other", "client_secret": "other-secret"}, gate=NO_BUDGET
        ) as second,
    ):
        await first.create(person_debt("X-1"))
        await second.create(person_debt("X-2"))
        with pytest.raises(RateLimitedError):
            await first.create(person_debt("X-3"))
