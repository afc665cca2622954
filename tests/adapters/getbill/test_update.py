"""The PUT body: only what is given, checked locally."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from debtkit_getbill.update import update_body

from debtkit import CaseStatus, ValidationError


def paths(**fields: object) -> set[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        update_body(fields)
    return {(p.path, p.code) for p in caught.value.problems}


def test_only_the_given_fields_are_in_the_body() -> None:
    assert update_body({"city": "Lyon", "amount": Decimal("10.50")}) == {
        "city": "Lyon",
        "amount": Decimal("10.50"),
    }


@pytest.mark.parametrize(
    "status", ["status.default.paid", "paid", CaseStatus.PAID, "status.default.archived"]
)
def test_allowed_status_is_sent_in_full_form(status: object) -> None:
    assert update_body({"status": status})["status"].startswith("status.default.")


def test_closed_unpaid_case_status_is_sent_as_failed() -> None:
    assert update_body({"status": CaseStatus.CLOSED_UNPAID}) == {"status": "status.default.failed"}


@pytest.mark.parametrize(
    "status", ["status.default.pending", "settled", CaseStatus.PENDING, "status.acme.custom"]
)
def test_status_the_api_may_not_set_is_refused(status: object) -> None:
    assert paths(status=status) == {("status", "not_writable")}


def test_metadata_none_is_sent_as_null_to_clear_it() -> None:
    assert update_body({"metadata": None}) == {"metadata": None}


def test_none_for_other_fields_is_refused() -> None:
    assert paths(city=None) == {("city", "not_clearable")}


def test_unknown_field_is_refused() -> None:
    assert paths(nickname="Jo") == {("nickname", "unknown_field")}


def test_nothing_to_update_is_refused() -> None:
    assert paths() == {("", "empty")}


def test_phone_is_normalised_to_e164() -> None:
    assert update_body({"phone": "06 12 34 56 78"}) == {"phone": "+33612345678"}


def test_069x_phone_is_refused() -> None:
    assert paths(phone="0690123456") == {("phone", "overseas_mobile")}


def test_expensive_phone_needs_the_acknowledgement() -> None:
    assert paths(phone="+262692123456") == {("phone", "expensive_destination")}
    body = update_body({"phone": "+262692123456"}, accept_expensive_destination=True)
    assert body == {"phone": "+262692123456", "accept_expensive_destination": True}


def test_dates_become_iso_strings_and_must_be_in_order() -> None:
    assert update_body({"due_date": dt.date(2024, 2, 1)}) == {"due_date": "2024-02-01"}
    assert paths(invoice_date="2024-02-01", due_date="2024-02-01") == {("due_date", "date_order")}


def test_float_amount_is_refused() -> None:
    assert paths(amount=12.5) == {("amount", "type")}


def test_every_problem_is_reported_at_once() -> None:
    assert paths(civility="Dr", email="nope", amount=Decimal(0), iban="XX") == {
        ("civility", "choice"),
        ("email", "invalid_email"),
        ("amount", "not_positive"),
        ("iban", "structure"),
    }
