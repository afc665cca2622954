"""The simulator's test-mode endpoints, and `client.payments` / `client.tasks` on what they make."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from debtkit_debitura.pytest_plugin import RunningSimulator
from debtkit_debitura.simulator.payments import TASKS
from debtkit_debitura.simulator.webhooks import HUB

from debtkit.errors import ConfigurationError
from debtkit.events import EventType
from debtkit.model import CaseStatus
from tests.adapters.debitura.webhook_sink import Sink, call
from tests.conftest import make_full_debt

CASE_EVENTS = ["case.created", "case.updated", "case.closed", "payment.created"]


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    receiver = Sink()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def fast_sim(sim_factory: Callable[..., Any]) -> RunningSimulator:
    sim: RunningSimulator = await sim_factory(webhook_retry_delays=(0.01,))
    return sim


async def _case(sim: RunningSimulator, reference: str, *, test: bool = True, tag: str = "") -> str:
    debt = make_full_debt(creditor_reference=reference)
    if tag:
        debt = attrs.evolve(debt, options={"debitura": {"tag": tag}})
    async with sim.connect() as client:
        return (await client.create(debt, is_test=test)).provider_id


async def _advance(sim: RunningSimulator, case_id: str, body: dict[str, Any]) -> Any:
    return await call(sim.base_url, "POST", f"test/cases/{case_id}/advance", body)


async def _events(sim: RunningSimulator, sink: Sink) -> list[str]:
    await sim.server.app[HUB].idle()
    return [json.loads(r.body)["event"] for r in sink.received]


async def test_advancing_to_active_fires_case_updated_once(
    fast_sim: RunningSimulator, sink: Sink
) -> None:
    url = await sink.start()
    async with fast_sim.connect() as client:
        await client.webhooks.create(url, ["case.updated"], test_mode=True)
    case_id = await _case(fast_sim, "ADV-1")
    first = await _advance(fast_sim, case_id, {"to": "Active"})
    again = await _advance(fast_sim, case_id, {"to": "Active"})
    assert first.body == {"advanced": True, "state": "Active"}
    assert again.body == {"advanced": False, "state": "Active"}
    assert await _events(fast_sim, sink) == ["case.updated"]


async def test_closing_as_paid_fires_three_events_and_records_the_payment(
    fast_sim: RunningSimulator, sink: Sink
) -> None:
    url = await sink.start()
    async with fast_sim.connect() as client:
        await client.webhooks.create(url, CASE_EVENTS[1:], test_mode=True)
        case_id = await _case(fast_sim, "PAID-1")
        answer = await _advance(fast_sim, case_id, {"to": "Closed:Paid", "amount": 1500.25})
        case = await client.get(case_id)
        [payment] = await client.payments.for_case(case_id)
        listed = [p async for p in client.payments.list()]
        fetched = await client.payments.get(payment.payment_id)
    assert answer.body == {"advanced": True, "state": "Closed:Paid"}
    assert await _events(fast_sim, sink) == ["payment.created", "case.updated", "case.closed"]
    assert case.status is CaseStatus.PAID
    assert (payment.amount, payment.currency, payment.case_id) == (
        Decimal("1500.25"),
        case.currency,
        case_id,
    )
    assert listed == [payment]
    assert fetched == payment


async def test_closing_without_payment_fires_updated_and_closed(
    fast_sim: RunningSimulator, sink: Sink
) -> None:
    url = await sink.start()
    async with fast_sim.connect() as client:
        await client.webhooks.create(url, CASE_EVENTS[1:], test_mode=True)
        case_id = await _case(fast_sim, "NOPAY-1")
        await _advance(fast_sim, case_id, {"to": "Closed:NoPayment"})
        case = await client.get(case_id)
    assert await _events(fast_sim, sink) == ["case.updated", "case.closed"]
    assert case.status is CaseStatus.CLOSED_UNPAID


@pytest.mark.parametrize(
    "body",
    [{"to": "Closed:Paid"}, {"to": "Closed:Paid", "amount": 0}, {"to": "Paused"}],
    ids=["no amount", "zero amount", "unknown target"],
)
async def test_a_bad_advance_is_a_400(sim: RunningSimulator, body: dict[str, Any]) -> None:
    case_id = await _case(sim, "BAD-1")
    assert (await _advance(sim, case_id, body)).status == 400


async def test_closing_a_case_closed_otherwise_is_a_400(sim: RunningSimulator) -> None:
    case_id = await _case(sim, "CONFLICT-1")
    await _advance(sim, case_id, {"to": "Closed:Paid", "amount": 10})
    assert (await _advance(sim, case_id, {"to": "Closed:NoPayment"})).status == 400


async def test_a_production_case_cannot_be_advanced_or_deleted(sim: RunningSimulator) -> None:
    case_id = await _case(sim, "PROD-1", test=False)
    assert (await _advance(sim, case_id, {"to": "Active"})).status == 400
    assert (await call(sim.base_url, "DELETE", f"test/cases/{case_id}")).status == 400


async def test_deleting_a_test_case_is_idempotent(sim: RunningSimulator) -> None:
    case_id = await _case(sim, "DEL-1")
    first = await call(sim.base_url, "DELETE", f"test/cases/{case_id}")
    again = await call(sim.base_url, "DELETE", f"test/cases/{case_id}")
    assert (first.status, again.status) == (204, 204)
    assert case_id not in sim.state.cases


async def test_deleting_by_tag_removes_exactly_the_tagged_cases(sim: RunningSimulator) -> None:
    tagged = [await _case(sim, f"TAG-{n}", tag="suite-run-1") for n in range(3)]
    other = await _case(sim, "TAG-X", tag="suite-run-2")
    assert (await call(sim.base_url, "DELETE", "test/cases?tag=suite-run-1")).status == 204
    assert set(sim.state.cases) == {other}
    assert not set(tagged) & set(sim.state.cases)


async def test_deleting_by_a_blank_tag_is_a_400(sim: RunningSimulator) -> None:
    assert (await call(sim.base_url, "DELETE", "test/cases?tag=")).status == 400


async def test_firing_reaches_matching_test_subscriptions(
    fast_sim: RunningSimulator, sink: Sink
) -> None:
    url = await sink.start()
    async with fast_sim.connect() as client:
        await client.webhooks.create(url, ["case.closed"], test_mode=True)
    case_id = await _case(fast_sim, "FIRE-1")
    fired = await call(
        fast_sim.base_url, "POST", "test/webhooks/fire", {"event": "case.closed", "caseId": case_id}
    )
    assert fired.body == {"eventType": "case.closed", "caseId": case_id, "enqueuedCount": 1}
    assert await _events(fast_sim, sink) == ["case.closed"]


async def test_firing_payment_created_without_payments_is_a_422(sim: RunningSimulator) -> None:
    case_id = await _case(sim, "FIRE-2")
    body = {"event": "payment.created", "caseId": case_id}
    assert (await call(sim.base_url, "POST", "test/webhooks/fire", body)).status == 422


async def test_tasks_are_listed_and_become_action_required_events(sim: RunningSimulator) -> None:
    case_id = await _case(sim, "TASK-1")
    book = sim.server.app[TASKS]
    book.open(
        "MoreInfoNeeded",
        "Upload the invoice",
        case=sim.state.cases[case_id],
        solution_url="https://app.debitura.com/cases/x",
    )
    book.open("AssignBankAccount", "Add a bank account")
    async with sim.connect() as client:
        everything = [t async for t in client.tasks.list(page_size=1)]
        for_case = await client.tasks.for_case(case_id, types=["MoreInfoNeeded"])
        solved = [t async for t in client.tasks.list(status="Solved")]
    assert {t.type for t in everything} == {"MoreInfoNeeded", "AssignBankAccount"}
    [task] = for_case
    event = task.to_event()
    assert event.event_type is EventType.ACTION_REQUIRED
    assert (event.case_id, event.action, event.solution_url) == (
        case_id,
        "Upload the invoice",
        "https://app.debitura.com/cases/x",
    )
    assert solved == []


async def test_a_case_waiting_for_a_contract_opens_the_sign_contract_task(
    sim_factory: Callable[..., Any],
) -> None:
    sim = await sim_factory(unsigned_contracts=("sdca",))
    async with sim.connect() as client:
        await client.create(make_full_debt(), allow_pending_contracts=True)
        [task] = [t async for t in client.tasks.list(types=["SignContract"])]
    assert task.case_id is None
    assert task.solution_url


async def test_a_task_status_outside_open_and_solved_is_refused_locally(
    sim: RunningSimulator,
) -> None:
    async with sim.connect() as client:
        with pytest.raises(ConfigurationError):
            client.tasks.list(status="Pending")


async def test_the_client_drives_the_ci_loop_through_test_mode(sim: RunningSimulator) -> None:
    run_tag = "suite-run-42"
    case_id = await _case(sim, "CI-1", tag=run_tag)
    async with sim.connect() as client:
        paid = await client.test_mode.advance(case_id, "Closed:Paid", amount=Decimal("20"))
        again = await client.test_mode.advance(case_id, "Closed:Paid", amount=Decimal("20"))
        fired = await client.test_mode.fire("payment.created", case_id)
        await client.test_mode.delete_tagged(run_tag)
        await client.test_mode.delete_case(case_id)  # already gone: still fine
    assert (paid.advanced, paid.state) == (True, "Closed:Paid")
    assert (again.advanced, again.state) == (False, "Closed:Paid")
    assert (fired.event_type, fired.enqueued_count) == ("payment.created", 0)
    assert case_id not in sim.state.cases


@pytest.mark.parametrize(
    ("target", "amount"),
    [("Paused", None), ("Closed:Paid", None), ("Closed:Paid", Decimal(0))],
    ids=["unknown target", "no amount", "zero amount"],
)
async def test_a_bad_advance_is_refused_before_any_request(
    sim: RunningSimulator, target: str, amount: Decimal | None
) -> None:
    async with sim.connect() as client:
        with pytest.raises(ConfigurationError):
            await client.test_mode.advance(
                "3fa85f64-5717-4562-b3fc-2c963f66afa6", target, amount=amount
            )
    assert sim.state.count_requests(path="/test") == 0
