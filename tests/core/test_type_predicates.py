"""The type gate's fast predicate says "well typed" exactly when the field-by-field walk finds
no problem: for every field of every model class, with each kind of wrong value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs
import pytest

from debtkit.model import Address, AgeBreakdown, Case, CaseStatus, ContactPerson, Debt, Debtor
from debtkit.validation.type_predicates import is_well_typed
from debtkit.validation.types import _check_for
from tests.conftest import make_full_debt

WRONG_VALUES: tuple[Any, ...] = (
    None,
    "text",
    "\ud800",  # a lone surrogate: a str, but not text
    "é",
    1,
    1.5,
    True,
    Decimal("1.10"),
    dt.date(2025, 1, 1),
    dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
    {},
    {"a": 1},
    {1: "a"},
    {"a": {"b": 1}},
    {"a": {1: "b"}},
    {"a": 1, "b": {}},
    MappingProxyType({"a": {"b": 2}}),
    ["a"],
    object(),
)


def walk_finds_nothing(value: object, cls: type) -> bool:
    found: list[Any] = []
    _check_for(cls)(value, "", found)
    return not found


def variants() -> Iterator[tuple[object, type]]:
    debt = make_full_debt(
        overdue=AgeBreakdown(Decimal("3"), Decimal("1"), Decimal("4")),
        metadata={"k": "v"},
        options={"getbill": {"x": True}},
    )
    debtor = debt.debtor
    if debtor.contact_person is None:
        debtor = attrs.evolve(debtor, contact_person=ContactPerson("A", "B"))
    case = Case("p", "id", CaseStatus.PENDING, created_at=dt.datetime(2025, 1, 1))
    for instance in (attrs.evolve(debt, debtor=debtor), debtor, debtor.address, debt.overdue, case):
        assert instance is not None
        cls = type(instance)
        yield instance, cls
        for field in attrs.fields(cls):
            for wrong in WRONG_VALUES:
                yield _replace(instance, field.name, wrong), cls


def _replace(instance: Any, name: str, value: object) -> object:
    # Bypasses converters (metadata is copied into a dict on construction): the gate must
    # judge whatever the object holds.
    copy = attrs.evolve(instance)
    object.__setattr__(copy, name, value)
    return copy


@pytest.mark.parametrize("cls", [Debt, Debtor, Address, AgeBreakdown, ContactPerson, Case])
def test_a_value_of_another_class_is_not_well_typed(cls: type) -> None:
    assert not is_well_typed(cls)("not a model object")


def test_the_predicate_agrees_with_the_walk_on_every_field_and_wrong_value() -> None:
    checked = 0
    for value, cls in variants():
        assert is_well_typed(cls)(value) == walk_finds_nothing(value, cls), (cls, value)
        checked += 1
    assert checked > 500
