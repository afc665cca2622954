from __future__ import annotations

import datetime as dt

import attrs
import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.options import parse_options

from debtkit import Address, ConfigurationError, Debt, Debtor, DebtorKind, Problem
from debtkit.validation import Validator
from tests.conftest import make_full_debt

TODAY = dt.date(2024, 6, 1)
adapter = DebituraAdapter()


def problems(debt: Debt, *, relax: tuple[str, ...] = ()) -> list[Problem]:
    validator = Validator(adapter.policy_rules(lambda: TODAY), relax=relax)
    return list(validator.check(debt).problems)


def paths(debt: Debt, **kwargs: tuple[str, ...]) -> list[str]:
    return [p.path for p in problems(debt, **kwargs)]


def with_address(debt: Debt, **changes: object) -> Debt:
    address = attrs.evolve(debt.debtor.address or Address(), **changes)  # type: ignore[arg-type]
    return attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, address=address))


def test_full_debt_passes_every_debitura_rule() -> None:
    assert problems(make_full_debt()) == []


def test_every_rule_is_named_under_debitura() -> None:
    names = [rule.name for rule in adapter.policy_rules()]
    assert names
    assert all(name.startswith("debitura.") for name in names)
    assert len(set(names)) == len(names)


def test_street_address_is_required() -> None:
    debt = with_address(make_full_debt(), street=None, number=None, full=None)
    assert paths(debt) == ["debtor.address.street"]


def test_full_address_line_satisfies_the_street_rule() -> None:
    debt = with_address(make_full_debt(), street=None, number=None, full="1 Rue X")
    assert paths(debt) == []


def test_city_is_required() -> None:
    assert paths(with_address(make_full_debt(), city="  ")) == ["debtor.address.city"]


def test_country_is_required() -> None:
    assert paths(with_address(make_full_debt(), country=None)) == ["debtor.address.country"]


def test_missing_address_reports_street_city_and_country() -> None:
    debt = make_full_debt()
    debt = attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, address=None))
    assert paths(debt) == [
        "debtor.address.street",
        "debtor.address.city",
        "debtor.address.country",
    ]


def test_us_debtor_without_a_state_is_refused() -> None:
    debt = with_address(make_full_debt(), country="US", state=None)
    assert [(p.path, p.code) for p in problems(debt)] == [("debtor.address.state", "required")]


def test_us_debtor_with_the_full_state_name_is_accepted_and_normalised() -> None:
    debt = with_address(make_full_debt(), country="US", state="California")
    checked = Validator(adapter.policy_rules(lambda: TODAY)).check(debt)
    assert (checked.problems, checked.debt.debtor.address.state) == ((), "US-CA")  # type: ignore[union-attr]


def test_us_debtor_with_an_unknown_state_is_reported_once() -> None:
    debt = with_address(make_full_debt(), country="US", state="Calif")
    assert paths(debt) == ["debtor.address.state"]


def test_person_needs_both_first_and_last_name() -> None:
    debtor = Debtor(
        kind=DebtorKind.PERSON,
        first_name="Jeanne",
        address=Address(street="Rue X", city="Lyon", country="FR"),
    )
    assert paths(make_full_debt(debtor=debtor)) == ["debtor.last_name"]


def test_company_name_rule_is_left_to_the_core_and_reported_once() -> None:
    debt = make_full_debt()
    debt = attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, company_name=""))
    assert paths(debt) == ["debtor.company_name"]


def test_invoice_date_is_required() -> None:
    assert paths(make_full_debt(invoice_date=None)) == ["invoice_date"]


def test_invoice_date_in_the_future_is_refused() -> None:
    debt = make_full_debt(invoice_date=TODAY + dt.timedelta(days=1), due_date=None)
    assert [(p.path, p.code) for p in problems(debt)] == [("invoice_date", "in_future")]


def test_invoice_date_today_is_accepted() -> None:
    assert paths(make_full_debt(invoice_date=TODAY, due_date=TODAY)) == []


def test_due_date_in_the_future_is_refused() -> None:
    debt = make_full_debt(due_date=TODAY + dt.timedelta(days=1))
    assert [(p.path, p.code) for p in problems(debt)] == [("due_date", "in_future")]


def test_due_date_before_invoice_date_is_reported_once_by_the_core() -> None:
    debt = make_full_debt(due_date=dt.date(2023, 11, 1))
    assert paths(debt) == ["due_date"]


def test_date_rules_read_the_injected_clock() -> None:
    debt = make_full_debt(invoice_date=dt.date(2024, 7, 1), due_date=dt.date(2024, 7, 2))
    later = Validator(adapter.policy_rules(lambda: dt.date(2024, 8, 1)))
    assert later.check(debt).problems == ()
    assert paths(debt) == ["invoice_date", "due_date"]


def test_creditor_reference_over_50_characters_is_refused() -> None:
    assert paths(make_full_debt(creditor_reference="R" * 51)) == ["creditor_reference"]


def test_creditor_reference_of_50_characters_is_accepted() -> None:
    assert paths(make_full_debt(creditor_reference="R" * 50)) == []


def test_creditor_reference_of_dots_is_refused_as_unaddressable() -> None:
    assert [p.code for p in problems(make_full_debt(creditor_reference=".."))] == [
        "not_addressable"
    ]


@pytest.mark.parametrize("field", ["description", "notes"])
def test_claim_description_and_comments_are_limited_to_4000_characters(field: str) -> None:
    assert paths(make_full_debt(**{field: "x" * 4001})) == [field]
    assert paths(make_full_debt(**{field: "x" * 4000})) == []


def test_invalid_debitura_options_are_reported_under_options_debitura() -> None:
    debt = make_full_debt(options={"debitura": {"tag": "t" * 101, "colour": "red"}})
    assert sorted(paths(debt)) == ["options.debitura.colour", "options.debitura.tag"]


def test_a_relaxed_rule_no_longer_reports() -> None:
    debt = make_full_debt(due_date=TODAY + dt.timedelta(days=3))
    assert paths(debt, relax=("debitura.due_date",)) == []


def test_relaxing_an_unknown_rule_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        DebituraAdapter().connect({"api_key": "k"}, relax={"debitura.no_such_rule"})


def test_every_problem_of_a_debt_is_reported_at_once() -> None:
    debt = make_full_debt(
        creditor_reference="R" * 60,
        invoice_date=dt.date(2030, 1, 1),
        due_date=None,
        notes="n" * 5000,
        options={"debitura": {"is_test": 1}},
    )
    debt = with_address(debt, city=None, country="US", state=None)
    assert sorted(paths(debt)) == [
        "creditor_reference",
        "debtor.address.city",
        "debtor.address.state",
        "invoice_date",
        "notes",
        "options.debitura.is_test",
    ]


# -- options -----------------------------------------------------------------------------


def test_options_parse_into_typed_fields() -> None:
    options, found = parse_options({"is_test": True, "tag": "run-1"})
    assert (options.is_test, options.tag, found) == (True, "run-1", [])


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("is_test", "true", "type"),
        ("allow_pending_contracts", 1, "type"),
        ("tag", 5, "type"),
        ("creditor_division_id", "division-1", "invalid_uuid"),
        ("collection_partner_id", "x", "invalid_uuid"),
        ("assigned_user_email", "not-an-email", "invalid_email"),
        ("assigned_user_email", "a" * 310 + "@example.com", "too_long"),
        ("return_url", "/relative/path", "invalid_url"),
        ("return_url", "https://x.example/" + "p" * 2048, "too_long"),
        ("skip_creation_emails", True, "unknown_field"),
    ],
)
def test_option_of_wrong_type_or_shape_is_a_problem_at_its_key(
    key: str, value: object, code: str
) -> None:
    _, found = parse_options({key: value})
    assert [(p.path, p.code) for p in found] == [(f"options.debitura.{key}", code)]


def test_options_that_are_not_an_object_are_one_problem() -> None:
    _, found = parse_options(["is_test"])  # type: ignore[arg-type]
    assert [p.path for p in found] == ["options.debitura"]
