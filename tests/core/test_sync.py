"""`ChangeFeed`: events from comparing a provider's cases with the snapshot store."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from debtkit.errors import ConfigurationError, DebtkitError
from debtkit.events import CaseEvent, EventType, Payment
from debtkit.events.snapshots import SnapshotStore
from debtkit.events.sync import ChangeFeed
from debtkit.model import Case, CaseStatus

PAGE = 100


class FakeProvider:
    """A provider's cases and payments, listed 100 per read, reads counted."""

    def __init__(self, count: int) -> None:
        self.cases = {
            f"case-{n:04d}": Case("fake", f"case-{n:04d}", CaseStatus.PENDING, "pending")
            for n in range(count)
        }
        self.payments: dict[str, Payment] = {}
        self.reads = 0

    async def list_cases(self) -> AsyncIterator[Case]:
        items = list(self.cases.values())
        for start in range(0, max(len(items), 1), PAGE):
            self.reads += 1
            for case in items[start : start + PAGE]:
                yield case

    async def list_payments(self) -> AsyncIterator[Payment]:
        self.reads += 1
        for payment in list(self.payments.values()):
            yield payment

    def feed(self, store: SnapshotStore | Path, **options: bool) -> ChangeFeed:
        return ChangeFeed(
            "fake", self.list_cases(), store, payments=self.list_payments(), **options
        )

    def move(self, case_id: str, status: CaseStatus) -> None:
        self.cases[case_id] = attrs.evolve(
            self.cases[case_id], status=status, provider_status=status.value
        )

    def change_hundred(self) -> set[str]:
        """60 status changes and 40 closings; the ids changed."""
        ids = sorted(self.cases)[::10]
        for n, case_id in enumerate(ids):
            self.move(case_id, CaseStatus.IN_PROGRESS if n < 60 else CaseStatus.PAID)
        return set(ids)


async def drain(feed: ChangeFeed) -> list[CaseEvent]:
    async with feed:
        return [event async for event in feed]


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "sync.sqlite"


async def test_a_first_sync_announces_every_case_as_created(state: Path) -> None:
    provider = FakeProvider(1000)
    events = await drain(provider.feed(state))
    assert len(events) == 1000
    assert {e.event_type for e in events} == {EventType.CREATED}


async def test_a_silent_first_sync_records_a_baseline(state: Path) -> None:
    provider = FakeProvider(1000)
    assert await drain(provider.feed(state, announce_existing=False)) == []
    provider.move("case-0001", CaseStatus.ON_HOLD)
    [event] = await drain(provider.feed(state))
    assert event.case_id == "case-0001"


async def test_hundred_changes_among_a_thousand_cases_give_exactly_hundred_events(
    state: Path,
) -> None:
    provider = FakeProvider(1000)
    await drain(provider.feed(state))
    changed = provider.change_hundred()
    events = await drain(provider.feed(state))
    assert sorted(e.case_id or "" for e in events) == sorted(changed)
    kinds = [e.event_type for e in events]
    assert (kinds.count(EventType.STATUS_CHANGED), kinds.count(EventType.CLOSED)) == (60, 40)
    assert all(e.old_status is CaseStatus.PENDING for e in events)
    assert await drain(provider.feed(state)) == []


async def test_a_sync_costs_one_read_per_hundred_cases(state: Path) -> None:
    provider = FakeProvider(1000)
    await drain(provider.feed(state))
    provider.reads = 0
    await drain(provider.feed(state))
    assert provider.reads == math.ceil(1000 / PAGE) + 1  # cases, then one page of payments


async def test_a_crash_between_syncs_loses_and_repeats_nothing(state: Path) -> None:
    provider = FakeProvider(1000)
    store = SnapshotStore(state)
    await drain(provider.feed(store))
    del store  # the process dies: nothing closed, nothing flushed by hand
    changed = provider.change_hundred()
    events = await drain(provider.feed(state))
    assert sorted(e.case_id or "" for e in events) == sorted(changed)


async def test_a_handler_failing_mid_sync_loses_and_repeats_nothing(state: Path) -> None:
    provider = FakeProvider(1000)
    await drain(provider.feed(state))
    changed = provider.change_hundred()
    handled: list[str] = []

    async def consume_until_failure() -> None:
        async with provider.feed(state) as feed:
            async for event in feed:
                if len(handled) == 37:
                    raise RuntimeError("the consumer dies while handling event 38")
                handled.append(event.event_id)

    with pytest.raises(RuntimeError):
        await consume_until_failure()
    handled.extend(e.event_id for e in await drain(provider.feed(state)))
    assert len(handled) == len(set(handled)) == 100
    assert len(changed) == 100


async def test_a_killed_sync_resumes_after_the_last_acknowledged_event(state: Path) -> None:
    provider = FakeProvider(1000)
    await drain(provider.feed(state))
    provider.change_hundred()
    handled: list[str] = []
    killed = provider.feed(SnapshotStore(state))
    for _ in range(25):
        handled.append((await killed.__anext__()).event_id)
        killed.ack()
    # kill -9: the feed is never closed, its store never closed
    handled.extend(e.event_id for e in await drain(provider.feed(state)))
    assert len(handled) == len(set(handled)) == 100


async def test_an_unacknowledged_event_comes_again_with_the_same_id(state: Path) -> None:
    provider = FakeProvider(10)
    abandoned = provider.feed(SnapshotStore(state))
    first = await abandoned.__anext__()
    again = await drain(provider.feed(state))
    assert again[0].event_id == first.event_id
    assert len(again) == 10


async def test_payments_are_reported_once_and_their_disappearance_as_reversed(
    state: Path,
) -> None:
    provider = FakeProvider(1)
    await drain(provider.feed(state))
    provider.payments["p-1"] = Payment("fake", "p-1", "case-0000", Decimal("12.50"), "EUR")
    [received] = await drain(provider.feed(state))
    assert received.event_type is EventType.PAYMENT_RECEIVED
    assert received.payment is not None
    assert received.payment.amount == Decimal("12.50")
    assert await drain(provider.feed(state)) == []
    del provider.payments["p-1"]
    [reversed_] = await drain(provider.feed(state))
    assert reversed_.event_type is EventType.PAYMENT_REVERSED
    assert reversed_.payment is not None
    assert reversed_.payment.payment_id == "p-1"


async def test_a_closing_carries_the_close_reason(state: Path) -> None:
    provider = FakeProvider(1)
    await drain(provider.feed(state))
    case = provider.cases["case-0000"]
    provider.cases["case-0000"] = attrs.evolve(
        case, status=CaseStatus.CLOSED_UNPAID, provider_status="Closed:Debtor Untraceable"
    )
    [event] = await drain(provider.feed(state))
    assert event.event_type is EventType.CLOSED
    assert event.close_reason == "Debtor Untraceable"
    assert (event.old_provider_status, event.new_provider_status) == (
        "pending",
        "Closed:Debtor Untraceable",
    )


async def test_the_snapshot_file_holds_no_debtor_data(state: Path) -> None:
    provider = FakeProvider(3)
    provider.cases["case-0000"] = attrs.evolve(
        provider.cases["case-0000"], raw={"debtor": {"name": "Jane Secret"}}
    )
    await drain(provider.feed(state))
    assert b"Jane Secret" not in state.read_bytes()  # noqa: ASYNC240 - a test's local file


async def test_a_sync_cancelled_while_reading_loses_nothing(state: Path) -> None:
    provider = FakeProvider(1000)
    await drain(provider.feed(state))
    provider.change_hundred()
    gate, reached = asyncio.Event(), asyncio.Event()
    handled: list[str] = []

    async def slow_cases() -> AsyncIterator[Case]:
        for n, case in enumerate(list(provider.cases.values())):
            if n == 750:
                reached.set()
                await gate.wait()  # the rest of the listing never comes
            yield case

    async def consume() -> None:
        feed = ChangeFeed("fake", slow_cases(), state)
        async with feed:
            async for event in feed:
                handled.append(event.event_id)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(reached.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    handled.extend(e.event_id for e in await drain(provider.feed(state)))
    assert len(handled) == len(set(handled)) == 100


def test_an_unopenable_snapshot_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        SnapshotStore(tmp_path / "missing-directory" / "s.sqlite")


def test_a_corrupted_snapshot_file_is_a_debtkit_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DebtkitError):
        SnapshotStore(path)
