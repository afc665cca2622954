"""The whole GetBill loop on loopback: create debts in the simulator, drive them through its
control endpoints, receive the signed webhooks on debtkit's receiver, and see each neutral
event exactly once although the simulator redelivers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from debtkit_getbill import GetBillAdapter
from debtkit_getbill.simulator import RunningSimulator

from debtkit.events import CaseEvent, EventType, SQLiteSeenStore, webhook_app
from debtkit.model import CaseStatus
from debtkit.simulator import SimulatorServer
from tests.adapters.getbill.helpers import person_debt

SECRET = "getbill-loop-secret"


class Inbox:
    def __init__(self, fail_first: int = 0) -> None:
        self.events: list[CaseEvent] = []
        self.fail_first = fail_first

    async def __call__(self, event: CaseEvent) -> None:
        if self.fail_first:
            self.fail_first -= 1
            raise RuntimeError("the creditor's system is down")
        self.events.append(event)


@pytest.fixture
async def receiver_and_simulator(
    request: pytest.FixtureRequest, tmp_path: Any
) -> AsyncIterator[Any]:
    options: dict[str, Any] = getattr(request, "param", {})
    inbox = Inbox(fail_first=options.pop("fail_first", 0))
    async with SQLiteSeenStore(tmp_path / "seen.sqlite") as seen:
        app = webhook_app(GetBillAdapter(), SECRET, inbox, path="/hooks", seen=seen)
        async with SimulatorServer(app) as receiver:
            simulator = RunningSimulator(
                webhook_url=receiver.origin + "/hooks",
                webhook_secret=SECRET,
                webhook_retry_delay=0.001,
                **options,
            )
            async with simulator, aiohttp.ClientSession(simulator.origin) as control:
                yield inbox, simulator, control


async def drive(control: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> None:
    async with control.post(f"/_simulator/debts/{path}", json=body) as response:
        assert response.status in (200, 201), await response.text()


@pytest.mark.parametrize("receiver_and_simulator", [{"webhook_duplicates": 2}], indirect=True)
async def test_each_event_arrives_once_despite_redeliveries(receiver_and_simulator: Any) -> None:
    inbox, simulator, control = receiver_and_simulator
    async with simulator.connect() as client:
        working = await client.create(person_debt("REF-WORK"))
        paying = await client.create(person_debt("REF-PAY"))
        failing = await client.create(person_debt("REF-FAIL"))
    await drive(control, f"{working.provider_id}/status", {"status": "status.default.in_progress"})
    assert paying.amount is not None
    rest = paying.amount - Decimal("10.00")
    await drive(control, f"{paying.provider_id}/payments", {"amount": "10.00"})
    await drive(control, f"{paying.provider_id}/payments", {"amount": str(rest)})
    await drive(control, f"{failing.provider_id}/status", {"status": "status.default.failed"})
    async with control.post("/_simulator/webhooks/redeliver", json={}) as response:
        assert (await response.json())["queued"] == len(simulator.state.webhooks.events)
    await simulator.state.webhooks.idle()

    sent = simulator.state.webhooks.events
    deliveries = [a for a in simulator.state.webhooks.attempt_log if a.status == 200]
    assert len(deliveries) == 4 * len(sent)  # each event sent once, twice duplicated, replayed
    assert len(inbox.events) == len(sent)
    assert len({e.event_id for e in inbox.events}) == len(sent)
    summary = [(e.event_type, e.case_id, e.new_status) for e in inbox.events]
    assert summary == [
        (EventType.CREATED, working.provider_id, CaseStatus.PENDING),
        (EventType.CREATED, paying.provider_id, CaseStatus.PENDING),
        (EventType.CREATED, failing.provider_id, CaseStatus.PENDING),
        (EventType.STATUS_CHANGED, working.provider_id, CaseStatus.IN_PROGRESS),
        (EventType.PAYMENT_RECEIVED, paying.provider_id, None),
        (EventType.PAYMENT_RECEIVED, paying.provider_id, None),
        (EventType.CLOSED, paying.provider_id, CaseStatus.PAID),
        (EventType.CLOSED, failing.provider_id, CaseStatus.CLOSED_UNPAID),
    ]
    payments = [e.payment.amount for e in inbox.events if e.payment is not None]
    assert payments == [Decimal("10.00"), rest]
    assert inbox.events[3].old_status is CaseStatus.PENDING


@pytest.mark.parametrize("receiver_and_simulator", [{"fail_first": 2}], indirect=True)
async def test_a_failing_handler_is_retried_by_the_simulator_and_sees_the_event_once(
    receiver_and_simulator: Any,
) -> None:
    inbox, simulator, _ = receiver_and_simulator
    async with simulator.connect() as client:
        case = await client.create(person_debt("REF-RETRY"))
    await simulator.state.webhooks.idle()
    statuses = [a.status for a in simulator.state.webhooks.attempt_log]
    assert statuses == [500, 500, 200]
    assert [(e.event_type, e.case_id) for e in inbox.events] == [
        (EventType.CREATED, case.provider_id)
    ]


async def test_an_update_through_the_api_delivers_updated_and_status_changed(
    receiver_and_simulator: Any,
) -> None:
    inbox, simulator, _ = receiver_and_simulator
    async with simulator.connect() as client:
        case = await client.create(person_debt("REF-UPD"))
    async with (
        aiohttp.ClientSession() as raw,
        raw.post(
            simulator.token_url,
            data={"grant_type": "client_credentials", **simulator.credentials},
        ) as token_response,
    ):
        token = (await token_response.json())["access_token"]
        async with raw.put(
            f"{simulator.base_url}/debts/{case.provider_id}",
            json={"amount": 42.5, "status": "status.default.on_hold"},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200
    await simulator.state.webhooks.idle()
    kinds = [(e.raw_type, e.event_type) for e in inbox.events]
    assert kinds == [
        ("debt.created", EventType.CREATED),
        ("debt.updated", EventType.UNKNOWN),
        ("debt.status_changed", EventType.STATUS_CHANGED),
    ]
    assert inbox.events[1].raw["changes"]["amount"]["new"] == Decimal("42.5")
    assert inbox.events[2].new_status is CaseStatus.ON_HOLD
