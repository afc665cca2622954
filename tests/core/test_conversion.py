from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from debtkit import (
    Case,
    CaseStatus,
    Debt,
    Debtor,
    ValidationError,
    from_json,
    structure,
    to_json,
    unstructure,
)


def test_full_debt_survives_json_round_trip_byte_for_byte(full_debt: Debt) -> None:
    text = to_json(full_debt)
    again = from_json(text, Debt)
    assert again == full_debt
    assert to_json(again) == text


def test_amounts_are_exact_decimal_strings(full_debt: Debt) -> None:
    data = unstructure(full_debt)
    assert data["amount"] == "1250.00"
    assert data["overdue"] == {
        "over_12_months": "400.00",
        "over_24_months": "100.00",
        "over_6_months": "900.00",
    }
    assert structure(data, Debt).amount == Decimal("1250.00")


def test_float_amount_is_refused(full_debt: Debt) -> None:
    data = unstructure(full_debt)
    data["amount"] = 1250.0
    with pytest.raises(ValidationError) as caught:
        structure(data, Debt)
    assert [(p.path, p.code) for p in caught.value.problems] == [("amount", "type")]


def test_none_fields_and_defaults_are_omitted() -> None:
    debt = Debt("R-1", debtor=Debtor(last_name="Doe"), amount=Decimal(1), currency="EUR")
    assert json.loads(to_json(debt)) == {
        "creditor_reference": "R-1",
        "debtor": {"last_name": "Doe"},
        "amount": "1",
        "currency": "EUR",
    }


def test_dates_are_iso_and_strict(full_debt: Debt) -> None:
    data = unstructure(full_debt)
    assert data["invoice_date"] == "2023-12-01"
    data["invoice_date"] = "01/12/2023"
    with pytest.raises(ValidationError) as caught:
        structure(data, Debt)
    assert caught.value.problems[0].path == "invoice_date"


def test_case_datetimes_are_aware_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    case = Case(
        "getbill", "abc", CaseStatus.PAID, created_at=dt.datetime(2024, 1, 15, 11, 30, tzinfo=paris)
    )
    data = unstructure(case)
    assert data["created_at"] == "2024-01-15T10:30:00+00:00"
    assert structure(data, Case) == case


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        structure(
            {
                "provider": "p",
                "provider_id": "1",
                "status": "paid",
                "created_at": "2024-01-15T10:30:00",
            },
            Case,
        )
    assert caught.value.problems[0].code == "timezone"


def test_every_structural_problem_is_reported_with_its_path() -> None:
    with pytest.raises(ValidationError) as caught:
        structure(
            {
                "creditor_reference": 7,
                "debtor": {"kind": "alien", "nickname": "x", "address": []},
                "amount": "lots",
                "currency": "EUR",
            },
            Debt,
        )
    found = {(p.path, p.code) for p in caught.value.problems}
    assert found == {
        ("creditor_reference", "type"),
        ("debtor.kind", "choice"),
        ("debtor.nickname", "unknown_field"),
        ("debtor.address", "type"),
        ("amount", "type"),
    }


def test_unknown_status_value_is_a_validation_error_not_a_crash() -> None:
    with pytest.raises(ValidationError):
        structure({"provider": "p", "provider_id": "1", "status": "weird"}, Case)
