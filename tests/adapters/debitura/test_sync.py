"""`DebituraClient.changes()` against the simulator: cases and payments, and what it costs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit.events import CaseEvent, EventType
from debtkit.events.sync import ChangeFeed
from debtkit.model import CaseStatus
from tests.adapters.debitura.webhook_sink import call
from tests.conftest import make_full_debt


async def drain(feed: ChangeFeed) -> list[CaseEvent]:
    async with feed:
        return [event async for event in feed]


async def test_a_sync_reports_new_cases_then_only_what_changed(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    state = tmp_path / "debitura.sqlite"
    async with sim.connect() as client:
        ids = [
            (
                await client.create(make_full_debt(creditor_reference=f"S-{n}"), is_test=True)
            ).provider_id
            for n in range(3)
        ]
        first = await drain(client.changes(state))
        await call(sim.base_url, "POST", f"test/cases/{ids[0]}/advance", {"to": "Active"})
        await call(
            sim.base_url,
            "POST",
            f"test/cases/{ids[1]}/advance",
            {"to": "Closed:Paid", "amount": 75},
        )
        second = await drain(client.changes(state))
        third = await drain(client.changes(state))
    assert sorted(e.case_id or "" for e in first) == sorted(ids)
    assert {e.event_type for e in first} == {EventType.CREATED}
    kinds = {(e.event_type, e.case_id, e.new_status) for e in second}
    assert kinds == {
        (EventType.STATUS_CHANGED, ids[0], CaseStatus.IN_PROGRESS),
        (EventType.CLOSED, ids[1], CaseStatus.PAID),
        (EventType.PAYMENT_RECEIVED, ids[1], None),
    }
    [paid] = [e for e in second if e.payment is not None]
    assert paid.payment is not None
    assert paid.payment.amount == Decimal(75)
    assert third == []


async def test_a_sync_reads_one_page_of_cases_and_one_of_payments_per_hundred(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    async with sim.connect() as client:
        for n in range(3):
            await client.create(make_full_debt(creditor_reference=f"C-{n}"), is_test=True)
        before = len(sim.state.requests)
        await drain(client.changes(tmp_path / "cost.sqlite"))
    reads = [(r.method, r.path) for r in sim.state.requests[before:]]
    assert reads == [("GET", "/cases"), ("GET", "/Payments")]
