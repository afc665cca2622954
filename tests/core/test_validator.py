from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debtkit import (
    Address,
    ConfigurationError,
    Debt,
    Problem,
    ValidationError,
    Validator,
    load_debt,
    unstructure,
    validate_debt,
)
from tests.conftest import make_full_debt


@attrs.frozen
class NoGmail:
    name: str = "test.no_gmail"

    def check(self, debt: Debt) -> Iterable[Problem]:
        if (debt.debtor.email or "").endswith("@gmail.com"):
            yield Problem("debtor.email", "gmail", "gmail addresses are not accepted")


def test_valid_debt_is_returned_normalised() -> None:
    debt = make_full_debt(
        currency="eur",
        iban="fr14 2004 1010 0505 0001 3m02 606",
        debtor=attrs.evolve(
            make_full_debt().debtor,
            phone="06 12 34 56 78",
            address=Address(city="Los Angeles", state="California", country="united states"),
        ),
    )
    result = validate_debt(
        attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, phone="+1 213 555 0143"))
    )
    assert result.currency == "EUR"
    assert result.iban == "FR1420041010050500013M02606"
    assert result.debtor.phone == "+12135550143"
    assert result.debtor.address == Address(city="Los Angeles", state="US-CA", country="US")


def test_national_phone_is_read_in_the_debtor_country() -> None:
    debtor = attrs.evolve(
        make_full_debt().debtor, phone="030 12345678", address=Address(country="DE")
    )
    assert validate_debt(make_full_debt(debtor=debtor)).debtor.phone == "+493012345678"


def test_national_phone_defaults_to_france() -> None:
    debtor = attrs.evolve(make_full_debt().debtor, phone="0612345678", address=None)
    assert validate_debt(make_full_debt(debtor=debtor)).debtor.phone == "+33612345678"


def test_every_problem_comes_back_at_once_with_its_path() -> None:
    debt = make_full_debt(
        overdue=None,
        amount=Decimal("-5"),
        currency="EUX",
        iban="FR1420041010050500013M02607",
        due_date=make_full_debt().invoice_date.replace(year=2022),  # type: ignore[union-attr]
        debtor=attrs.evolve(
            make_full_debt().debtor,
            phone="0690123456",
            email="nobody",
            address=Address(country="Atlantis", state="x"),
        ),
    )
    with pytest.raises(ValidationError) as caught:
        validate_debt(debt)
    assert {(p.path, p.code) for p in caught.value.problems} == {
        ("amount", "not_positive"),
        ("currency", "unknown_currency"),
        ("iban", "checksum"),
        ("due_date", "date_order"),
        ("debtor.phone", "invalid_number"),
        ("debtor.email", "invalid_email"),
        ("debtor.address.country", "unknown_country"),
    }


def test_validation_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        validate_debt(make_full_debt(amount=Decimal(0)))


def test_us_debtor_with_unknown_state_is_refused() -> None:
    debtor = attrs.evolve(
        make_full_debt().debtor, phone=None, address=Address(country="US", state="Calif")
    )
    with pytest.raises(ValidationError) as caught:
        validate_debt(make_full_debt(debtor=debtor))
    assert [p.path for p in caught.value.problems] == ["debtor.address.state"]


def test_age_buckets_must_be_ordered() -> None:
    from debtkit import AgeBreakdown

    debt = make_full_debt(overdue=AgeBreakdown(Decimal("100"), Decimal("200"), Decimal("2000")))
    with pytest.raises(ValidationError) as caught:
        validate_debt(debt)
    assert {p.path for p in caught.value.problems} == {
        "overdue.over_24_months",
        "overdue.over_6_months",
    }


def test_non_finite_money_built_in_code_is_a_problem_not_a_crash() -> None:
    from debtkit import AgeBreakdown

    debt = make_full_debt(
        amount=Decimal("NaN"), overdue=AgeBreakdown(Decimal("Infinity"), Decimal("10"))
    )
    with pytest.raises(ValidationError) as caught:
        validate_debt(debt)
    assert {(p.path, p.code) for p in caught.value.problems} == {
        ("amount", "not_finite"),
        ("overdue.over_12_months", "not_finite"),
    }


def test_company_debtor_needs_a_company_name() -> None:
    debtor = attrs.evolve(make_full_debt().debtor, company_name=" ")
    with pytest.raises(ValidationError) as caught:
        validate_debt(make_full_debt(debtor=debtor))
    assert [p.path for p in caught.value.problems] == ["debtor.company_name"]


def test_policy_rule_problems_join_the_objective_ones() -> None:
    debtor = attrs.evolve(make_full_debt().debtor, email="x@gmail.com")
    with pytest.raises(ValidationError) as caught:
        validate_debt(make_full_debt(debtor=debtor, amount=Decimal(0), overdue=None), [NoGmail()])
    assert {p.code for p in caught.value.problems} == {"gmail", "not_positive"}


def test_policy_rule_can_be_relaxed() -> None:
    debtor = attrs.evolve(make_full_debt().debtor, email="x@gmail.com")
    validator = Validator([NoGmail()], relax={"test.no_gmail"})
    assert validator.check(make_full_debt(debtor=debtor)).ok


def test_relaxing_an_unknown_rule_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="objective checks never relax"):
        Validator([NoGmail()], relax={"iban"})


def test_load_debt_structures_and_validates() -> None:
    data = unstructure(make_full_debt())
    data["debtor"]["phone"] = "0612345678"
    assert load_debt(data).debtor.phone == "+33612345678"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
debt_like = st.fixed_dictionaries(
    {},
    optional={
        "creditor_reference": json_values | st.text(max_size=10),
        "debtor": st.fixed_dictionaries(
            {},
            optional={
                "kind": st.sampled_from(["person", "company", "other"]) | json_values,
                "first_name": json_values,
                "phone": st.from_regex(r"\+?[0-9 ]{0,14}", fullmatch=True) | json_values,
                "email": st.emails() | json_values,
                "address": st.fixed_dictionaries(
                    {}, optional={"country": st.text(max_size=4) | json_values}
                ),
                "birth_date": st.dates().map(str) | json_values,
            },
        )
        | json_values,
        "amount": st.decimals(allow_nan=True).map(str) | json_values,
        "currency": st.sampled_from(["EUR", "JPY", "eur", "XXX"]) | json_values,
        "invoice_date": st.dates().map(str) | json_values,
        "due_date": st.dates().map(str) | json_values,
        "iban": st.text(max_size=30) | json_values,
        "metadata": json_values,
        "overdue": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(debt_like)
def test_arbitrary_input_validates_or_raises_validation_error(data: object) -> None:
    try:
        debt = load_debt(data)
    except ValidationError as exc:
        problems = exc.problems
        assert problems, "a ValidationError must say what is wrong"
    else:
        assert isinstance(debt, Debt)


@attrs.frozen
class NoMobilesFromMars:
    name: str = "test.mars"

    def check(self, debt: Debt) -> Iterable[Problem]:
        if debt.debtor.phone == "0690123456":
            yield Problem("debtor.phone", "mars", "mobiles from Mars are not supported")


def test_policy_problem_supersedes_the_generic_one_on_the_same_field() -> None:
    debtor = attrs.evolve(make_full_debt().debtor, phone="0690123456")
    checked = Validator([NoMobilesFromMars()]).check(make_full_debt(debtor=debtor))
    assert [(p.path, p.code) for p in checked.problems] == [("debtor.phone", "mars")]
