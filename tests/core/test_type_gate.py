"""A debt built in code with the wrong types, or holding data JSON cannot carry, gets a
`ValidationError` with field paths from every entry point: never AttributeError, TypeError
or RecursionError (issue 11, item 10)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from debtkit import (
    ConfigurationError,
    Debt,
    ValidationError,
    Validator,
    from_json,
    load_debt,
    to_json,
    unstructure,
    validate_debt,
)
from debtkit.validation import type_problems
from tests.conftest import make_full_debt


def problems_of(debt: Any) -> set[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        validate_debt(debt)
    return {(p.path, p.code) for p in caught.value.problems}


def with_debtor(**changes: Any) -> Debt:
    return make_full_debt(debtor=attrs.evolve(make_full_debt().debtor, **changes))


def test_a_well_typed_debt_has_no_type_problems() -> None:
    assert type_problems(make_full_debt()) == []


def test_float_amount_is_refused_not_converted() -> None:
    assert problems_of(make_full_debt(amount=12.5)) == {("amount", "type")}


def test_int_amount_built_in_code_is_refused_as_not_a_decimal() -> None:
    assert problems_of(make_full_debt(amount=12)) == {("amount", "type")}


def test_int_phone_is_reported_at_its_path() -> None:
    assert problems_of(with_debtor(phone=612345678)) == {("debtor.phone", "type")}


def test_str_date_is_reported_at_its_path() -> None:
    assert problems_of(make_full_debt(invoice_date="2024-01-01")) == {("invoice_date", "type")}


def test_datetime_where_a_date_belongs_is_refused() -> None:
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    assert problems_of(make_full_debt(due_date=moment)) == {("due_date", "type")}


def test_none_for_a_required_field_is_required() -> None:
    assert problems_of(make_full_debt(creditor_reference=None, currency=None)) == {
        ("creditor_reference", "required"),
        ("currency", "required"),
    }


def test_dict_instead_of_a_debtor_is_a_type_problem() -> None:
    assert problems_of(make_full_debt(debtor={"last_name": "Doe"})) == {("debtor", "type")}


def test_str_instead_of_a_debtor_kind_is_a_choice_problem() -> None:
    assert problems_of(with_debtor(kind="company")) == {("debtor.kind", "choice")}


def test_wrong_types_deep_in_the_address_are_reported_with_full_paths() -> None:
    address = attrs.evolve(make_full_debt().debtor.address, city=75, country=["FR"])
    assert problems_of(with_debtor(address=address)) == {
        ("debtor.address.city", "type"),
        ("debtor.address.country", "type"),
    }


def test_non_mapping_metadata_does_not_break_construction_and_is_reported() -> None:
    debt = make_full_debt(metadata=5)
    assert problems_of(debt) == {("metadata", "type")}


def test_options_entry_of_the_wrong_type_is_a_problem_in_load_debt() -> None:
    data = unstructure(make_full_debt())
    data["options"] = {"getbill": 5}
    with pytest.raises(ValidationError) as caught:
        load_debt(data)
    assert [(p.path, p.code) for p in caught.value.problems] == [("options.getbill", "type")]


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def test_deep_metadata_is_too_deep_not_a_recursion_error() -> None:
    data = unstructure(make_full_debt())
    data["metadata"] = {"deep": nested(100_000)}
    with pytest.raises(ValidationError) as caught:
        load_debt(data)
    assert [(p.path, p.code) for p in caught.value.problems] == [("metadata.deep", "too_deep")]


def test_metadata_that_contains_itself_is_too_deep() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    assert problems_of(make_full_debt(metadata={"loop": loop})) == {("metadata.loop", "too_deep")}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("1"), (1, 2)])
def test_metadata_json_cannot_carry_is_refused(value: object) -> None:
    assert problems_of(make_full_debt(metadata={"x": value})) == {("metadata.x", "not_json")}


def test_metadata_int_python_cannot_print_is_refused() -> None:
    assert problems_of(make_full_debt(metadata={"x": 10**5000})) == {("metadata.x", "too_large")}


def test_lone_surrogate_in_text_is_an_encoding_problem() -> None:
    assert problems_of(make_full_debt(notes="bad \ud800")) == {("notes", "encoding")}
    assert problems_of(make_full_debt(metadata={"x": "\udfff"})) == {("metadata.x", "encoding")}


def test_validator_check_reports_type_problems_without_raising() -> None:
    checked = Validator().check(make_full_debt(amount=1.5))
    assert [(p.path, p.code) for p in checked.problems] == [("amount", "type")]


def test_something_that_is_not_a_debt_is_a_validation_error() -> None:
    assert problems_of({"creditor_reference": "x"}) == {("", "type")}


def test_deeply_nested_json_text_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        from_json("[" * 200_000, Debt)
    assert caught.value.problems[0].code == "too_deep"


def test_from_json_of_something_that_is_not_text_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        from_json(12, Debt)  # type: ignore[arg-type]


@pytest.mark.parametrize("region", [None, 3, "ÿ"])
def test_validator_with_a_default_region_that_is_not_a_code_is_a_configuration_error(
    region: Any,
) -> None:
    with pytest.raises(ConfigurationError):
        Validator(default_region=region)


@pytest.mark.parametrize("relax", [5, [None]])
def test_validator_with_relax_that_is_not_rule_names_is_a_configuration_error(
    relax: Any,
) -> None:
    with pytest.raises(ConfigurationError):
        Validator(relax=relax)


def test_validator_with_rules_that_are_not_rules_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        Validator([object()])  # type: ignore[list-item]


def test_to_json_refuses_a_float_amount_instead_of_writing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        to_json(make_full_debt(amount=12.5))
    assert [(p.path, p.code) for p in caught.value.problems] == [("amount", "type")]


def test_to_json_refuses_nan_instead_of_writing_invalid_json() -> None:
    with pytest.raises(ValidationError):
        to_json(make_full_debt(metadata={"x": float("nan")}))
