"""Debitura payments and tasks read into neutral and typed shapes, whatever comes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from debtkit_debitura.payments import to_payment
from debtkit_debitura.tasks import to_task

from debtkit import ValidationError
from debtkit.events import EventType

PAYMENT = {
    "id": "0b9c6c4e-2f7a-4bd0-9a51-6f0d6a1e2c11",
    "dateCreated": "2026-06-17T08:30:00",
    "date": "2026-06-17T08:30:00",
    "grossAmount": 12.3,
    "recipient": "CollectionPartner",
    "method": "BankTransfer",
    "currency": "eur",
    "invoice": {"invoiceId": "5e4f", "reference": "Q8OAXF3W", "status": "Closed"},
}


def test_a_payment_is_exact_with_its_currency_and_case() -> None:
    payment = to_payment(PAYMENT)
    assert (payment.amount, payment.currency, payment.case_id) == (Decimal("12.3"), "EUR", "5e4f")
    assert payment.raw == PAYMENT


def test_a_naive_payment_date_is_read_as_utc() -> None:
    assert to_payment(PAYMENT).date == dt.datetime(2026, 6, 17, 8, 30, tzinfo=dt.timezone.utc)


def test_a_payment_without_an_id_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        to_payment({"grossAmount": 1})


def test_a_task_becomes_an_action_required_event_with_a_stable_id() -> None:
    record = {
        "id": "7d1c",
        "type": "ReplyToChat",
        "title": "Reply to the partner",
        "status": "Open",
        "caseId": "5e4f",
        "solutionUrl": "https://app.debitura.com/cases/5e4f/chat",
        "action": {"method": "POST", "path": "/cases/{caseId}/chats"},
        "futureField": True,
    }
    task = to_task(record)
    event = task.to_event()
    assert task.action is not None
    assert task.action.path == "/cases/{caseId}/chats"
    assert event.event_type is EventType.ACTION_REQUIRED
    assert event.event_id == to_task(record).to_event().event_id
    assert (event.action, event.solution_url) == (
        "Reply to the partner",
        "https://app.debitura.com/cases/5e4f/chat",
    )
