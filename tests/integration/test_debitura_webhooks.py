"""The whole Debitura loop on loopback: create test cases in the simulator, subscribe a
debtkit receiver, drive the cases (Active, Closed:Paid, Closed:NoPayment), receive the signed
webhooks and see each neutral event exactly once although the simulator redelivers them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.pytest_plugin import RunningSimulator
from debtkit_debitura.simulator.webhooks import HUB

from debtkit.events import CaseEvent, EventType, SQLiteSeenStore, webhook_app
from debtkit.model import CaseStatus
from debtkit.simulator import SimulatorServer
from tests.adapters.debitura.conftest import (  # noqa: F401 - fixtures: traffic checked
    exchanges,
    sim_factory,
    spec_contract,
)
from tests.conftest import make_full_debt

EVENTS = ["case.created", "case.updated", "case.closed", "payment.created"]


class Inbox:
    def __init__(self) -> None:
        self.events: list[CaseEvent] = []

    async def __call__(self, event: CaseEvent) -> None:
        self.events.append(event)


@pytest.fixture
async def loop(
    sim_factory: Callable[..., Any],  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> AsyncIterator[tuple[RunningSimulator, Inbox]]:
    sim: RunningSimulator = await sim_factory(webhook_retry_delays=(0.01, 0.01))
    async with sim.connect() as client:
        # The secret comes only with the subscription, and the receiver's URL only once it
        # listens: subscribe first, then point the subscription at the receiver.
        subscription = await client.webhooks.create(
            "https://placeholder.example.com/hooks", EVENTS, test_mode=True
        )
        assert subscription.secret is not None
        inbox = Inbox()
        async with SQLiteSeenStore(tmp_path / "seen.sqlite") as seen:
            app = webhook_app(
                DebituraAdapter(), subscription.secret, inbox, path="/hooks", seen=seen
            )
            async with SimulatorServer(app) as receiver:
                await client.webhooks.update(subscription.id, url=receiver.origin + "/hooks")
                yield sim, inbox


async def test_each_driven_event_arrives_once_despite_redeliveries(
    loop: tuple[RunningSimulator, Inbox],
) -> None:
    sim, inbox = loop
    hub = sim.server.app[HUB]
    hub.duplicate_deliveries = 2  # every 2xx "lost" twice: each event sent three times
    async with sim.connect() as client:
        ids = {}
        for name in ("active", "paid", "unpaid"):
            case = await client.create(
                make_full_debt(creditor_reference=f"LOOP-{name}"), is_test=True
            )
            ids[name] = case.provider_id
        await client.test_mode.advance(ids["active"], "Active")
        await client.test_mode.advance(ids["paid"], "Closed:Paid", amount=Decimal("100.5"))
        await client.test_mode.advance(ids["unpaid"], "Closed:NoPayment")
        await hub.idle()
        # ...and every logged event replayed once more through the public API.
        for case_id in ids.values():
            for record in await client.webhooks.events(case_id):
                await client.webhooks.replay_event(record.id)
        await hub.idle()

    assert len(hub.log) == 9
    # sent, duplicated twice; replayed, duplicated twice
    assert sum(d.sent for d in hub.log) == 9 * 6
    assert len(inbox.events) == 9
    assert len({e.event_id for e in inbox.events}) == 9
    by_case = {
        name: [(e.event_type, e.new_status) for e in inbox.events if e.case_id == case_id]
        for name, case_id in ids.items()
    }
    assert by_case["active"] == [
        (EventType.CREATED, CaseStatus.PENDING),
        (EventType.STATUS_CHANGED, CaseStatus.IN_PROGRESS),
    ]
    assert [kind for kind, _ in by_case["paid"]] == [
        EventType.CREATED,
        EventType.PAYMENT_RECEIVED,
        EventType.STATUS_CHANGED,
        EventType.CLOSED,
    ]
    assert [kind for kind, _ in by_case["unpaid"]] == [
        EventType.CREATED,
        EventType.STATUS_CHANGED,
        EventType.CLOSED,
    ]
    [payment] = [e.payment for e in inbox.events if e.payment is not None]
    assert payment.amount == Decimal("100.5")
    closed = {e.case_id: e for e in inbox.events if e.event_type is EventType.CLOSED}
    assert closed[ids["paid"]].new_status is CaseStatus.PAID
    assert closed[ids["unpaid"]].new_status is CaseStatus.CLOSED_UNPAID
    assert all(e.test for e in inbox.events)
