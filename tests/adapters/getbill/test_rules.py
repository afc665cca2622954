"""GetBill's documented rules, checked locally before any request."""

from __future__ import annotations

import datetime as dt

import pytest
from debtkit_getbill import GetBillAdapter, GetBillClient

from debtkit import (
    Address,
    ConfigurationError,
    ContactPerson,
    Debt,
    DebtorKind,
    Problem,
    ValidationError,
)
from debtkit.testing.http_mock import MockHttp
from tests.adapters.getbill.helpers import BASE, person_debt, with_debtor
from tests.conftest import make_full_debt


def client(*relax: str) -> GetBillClient:
    return GetBillAdapter().connect({"access_token": "tok"}, base_url=BASE, relax=relax)


def problems(debt: Debt, *relax: str) -> set[tuple[str, str]]:
    return {(p.path, p.code) for p in client(*relax).check(debt).problems}


def test_fully_populated_debt_passes_every_getbill_rule() -> None:
    assert problems(make_full_debt()) == set()


def test_person_without_first_name_is_refused() -> None:
    debt = with_debtor(person_debt(), first_name=" ")
    assert problems(debt) == {("debtor.first_name", "required")}


def test_company_without_contact_person_is_refused_for_both_names() -> None:
    debt = with_debtor(make_full_debt(), contact_person=None)
    assert problems(debt) == {
        ("debtor.contact_person.first_name", "required"),
        ("debtor.contact_person.last_name", "required"),
    }


def test_company_contact_person_without_last_name_is_refused() -> None:
    debt = with_debtor(make_full_debt(), contact_person=ContactPerson("John", None))
    assert problems(debt) == {("debtor.contact_person.last_name", "required")}


def test_debtor_without_phone_and_email_is_refused() -> None:
    debt = with_debtor(person_debt(), phone=None, email=None)
    assert problems(debt) == {("debtor", "contact_required")}


def test_email_alone_is_enough_contact() -> None:
    assert problems(with_debtor(person_debt(), phone=None)) == set()


def test_national_069x_overseas_mobile_is_reported_once_with_a_clear_reason() -> None:
    checked = client().check(with_debtor(person_debt(), phone="06 90 12 34 56"))
    assert [(p.path, p.code) for p in checked.problems] == [("debtor.phone", "overseas_mobile")]
    assert "+590" in checked.problems[0].message


def test_overseas_mobile_with_its_territory_code_is_not_refused_as_069x() -> None:
    debt = with_debtor(person_debt(), phone="+590690123456")
    assert ("debtor.phone", "overseas_mobile") not in problems(debt)


def test_due_date_equal_to_invoice_date_is_refused() -> None:
    debt = person_debt(invoice_date=dt.date(2024, 1, 1), due_date=dt.date(2024, 1, 1))
    assert problems(debt) == {("due_date", "date_order")}


def test_due_date_before_invoice_date_is_reported_once() -> None:
    debt = person_debt(invoice_date=dt.date(2024, 2, 1), due_date=dt.date(2024, 1, 1))
    assert [p.path for p in client().check(debt).problems] == ["due_date"]


def test_civility_other_than_mr_or_ms_is_refused() -> None:
    assert problems(with_debtor(person_debt(), civility="Mrs")) == {("debtor.civility", "choice")}


def test_missing_civility_is_fine() -> None:
    assert problems(with_debtor(person_debt(), civility=None)) == set()


@pytest.mark.parametrize(
    ("phone", "name", "credits"),
    [
        ("+262692123456", "Réunion", 100),
        ("+212612345678", "Morocco", 125),
    ],
)
def test_expensive_destination_is_refused_naming_destination_and_cost(
    phone: str, name: str, credits: int
) -> None:
    (problem,) = client().check(with_debtor(person_debt(), phone=phone)).problems
    assert (problem.path, problem.code) == ("debtor.phone", "expensive_destination")
    assert name in problem.message
    assert f"{credits} credits" in problem.message


def test_expensive_destination_passes_with_the_opt_in() -> None:
    debt = with_debtor(
        person_debt(options={"getbill": {"accept_expensive_destination": True}}),
        phone="+262692123456",
    )
    assert problems(debt) == set()


def test_eu_phone_is_priced_not_refused() -> None:
    # The seed page names DOM-TOM and the Maghreb as expensive; the EU's 30 credits are a price.
    assert problems(with_debtor(person_debt(), phone="+4915123456789")) == set()


def test_us_number_like_069_is_an_invalid_us_number_not_an_overseas_mobile() -> None:
    debt = with_debtor(person_debt(), phone="0690123456", address=Address(country="US"))
    assert problems(debt) == {("debtor.phone", "invalid_number")}


def test_069_number_read_in_france_is_an_overseas_mobile() -> None:
    debt = with_debtor(person_debt(), phone="0690123456", address=Address(country="FR"))
    assert problems(debt) == {("debtor.phone", "overseas_mobile")}


def test_unpriced_country_is_not_refused() -> None:
    assert problems(with_debtor(person_debt(), phone="+12025550123")) == set()


def test_french_mainland_phone_needs_no_opt_in() -> None:
    assert problems(with_debtor(person_debt(), phone="+33612345678")) == set()


def test_unknown_and_mistyped_options_are_problems_at_their_key() -> None:
    debt = person_debt(
        options={"getbill": {"timeline_start_mode": "later", "email_validation": "yes", "x": 1}}
    )
    assert problems(debt) == {
        ("options.getbill.timeline_start_mode", "choice"),
        ("options.getbill.email_validation", "type"),
        ("options.getbill.x", "unknown_option"),
    }


def test_relaxed_rule_is_not_applied() -> None:
    debt = with_debtor(person_debt(), civility="Dr")
    assert problems(debt, "getbill.civility") == set()


def test_relaxing_an_unknown_rule_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        client("getbill.nonsense")


def test_rules_have_the_documented_names() -> None:
    names = {rule.name for rule in GetBillAdapter().policy_rules()}
    assert {
        "getbill.names",
        "getbill.contact",
        "getbill.civility",
        "getbill.expensive_destination",
    } <= names


async def test_invalid_debt_is_refused_with_all_its_problems_and_nothing_is_sent(
    mock_http: MockHttp,
) -> None:
    debt = with_debtor(
        person_debt(
            invoice_date=dt.date(2024, 3, 1),
            due_date=dt.date(2024, 3, 1),
            options={"getbill": {"timeline_start_mode": "later"}},
            iban="FR00 0000",
        ),
        kind=DebtorKind.PERSON,
        first_name="",
        civility="Dr",
        phone="0690123456",
        email="not-an-email",
    )
    async with client() as getbill:
        with pytest.raises(ValidationError) as caught:
            await getbill.create(debt)
    assert {(p.path, p.code) for p in caught.value.problems} == {
        ("debtor.first_name", "required"),
        ("debtor.civility", "choice"),
        ("debtor.phone", "overseas_mobile"),
        ("debtor.email", "invalid_email"),
        ("due_date", "date_order"),
        ("iban", "length"),
        ("options.getbill.timeline_start_mode", "choice"),
    }
    assert mock_http.requests == {}


def test_problem_messages_never_repeat_the_phone_number() -> None:
    checked = client().check(with_debtor(person_debt(), phone="+262692123456"))
    assert all("692123456" not in p.message for p in checked.problems)
    assert all(isinstance(p, Problem) for p in checked.problems)
