"""No personal data in any repr or validation error (issue 11, item 13)."""

from __future__ import annotations

import attrs
import pytest

from debtkit import Case, CaseStatus, ValidationError, Validator, validate_debt
from tests.conftest import make_full_debt

# Every value of the shared full debt that is about a person (or may be).
PERSONAL = [
    "John",
    "Doe",
    "ACME Corporation",
    "john.doe@example.com",
    "+33612345678",
    "1985",
    "FR12345678901",
    "Main Street",
    "75001",
    "Paris",
    "FR1420041010050500013M02606",
    "abc123",
    "Called twice",
    "Outstanding invoice",
    "crm-42",
    "xyz789abc123",
]


def leaked(text: str) -> list[str]:
    return [value for value in PERSONAL if value in text]


def test_debt_repr_shows_no_personal_data() -> None:
    assert leaked(repr(make_full_debt())) == []


def test_debt_repr_keeps_what_identifies_the_debt() -> None:
    shown = repr(make_full_debt())
    for useful in ("INV-2024-001", "Decimal('1250.00')", "'EUR'", "country='FR'", "COMPANY"):
        assert useful in shown


def test_debt_repr_says_which_personal_fields_are_set() -> None:
    debtor = attrs.evolve(make_full_debt().debtor, email=None)
    shown = repr(debtor)
    assert "email=None" in shown
    assert "phone=<redacted>" in shown


def test_checked_debt_repr_shows_no_personal_data() -> None:
    assert leaked(repr(Validator().check(make_full_debt()))) == []


def test_case_repr_hides_the_action_url_and_the_raw_record() -> None:
    case = Case(
        "getbill",
        "d-1",
        CaseStatus.ACTION_REQUIRED,
        action_url="https://sign.example.com/?token=abc123",
        raw={"phone": "+33612345678"},
    )
    assert leaked(repr(case)) == []
    assert "d-1" in repr(case)


@pytest.mark.parametrize(
    "changes",
    [
        {"iban": "FR1420041010050500013M02699"},
        {"currency": "John"},
        {"metadata": {"x": float("nan")}},
        {"amount": 12.5},
    ],
)
def test_validation_errors_never_carry_the_values(changes: dict[str, object]) -> None:
    debtor = attrs.evolve(
        make_full_debt().debtor, phone="+33 6 12 34 56 7", email="john.doe@example..com"
    )
    with pytest.raises(ValidationError) as caught:
        validate_debt(make_full_debt(debtor=debtor, **changes))
    shown = [str(caught.value), *(str(p) for p in caught.value.problems)]
    assert leaked(" ".join(shown)) == []
    assert "12 34 56" not in " ".join(shown)
    assert "example..com" not in " ".join(shown)
