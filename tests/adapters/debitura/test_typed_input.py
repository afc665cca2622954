"""Debitura's entry points that take a debt straight from a caller refuse wrong types with a
`ValidationError` by field path (issue 11, item 10)."""

from __future__ import annotations

import datetime as dt

import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.mapping import preview_request

from debtkit import ValidationError
from tests.conftest import make_full_debt


def test_to_wire_refuses_a_float_amount() -> None:
    with pytest.raises(ValidationError) as caught:
        DebituraAdapter().to_wire(make_full_debt(amount=99.5))
    assert [(p.path, p.code) for p in caught.value.problems] == [("amount", "type")]


def test_preview_request_refuses_a_str_due_date() -> None:
    with pytest.raises(ValidationError) as caught:
        preview_request(make_full_debt(overdue=None, due_date="2024-01-01"))
    assert [(p.path, p.code) for p in caught.value.problems] == [("due_date", "type")]


def test_client_check_reports_a_datetime_invoice_date_without_raising() -> None:
    client = DebituraAdapter().connect({"api_key": "key"}, base_url="http://127.0.0.1:9")
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    checked = client.check(make_full_debt(invoice_date=moment))
    assert [(p.path, p.code) for p in checked.problems] == [("invoice_date", "type")]
