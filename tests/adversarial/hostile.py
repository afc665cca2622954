"""Hypothesis strategies for hostile input: wrong types at every path, deep nesting, huge
strings and numbers, NaN and infinities, lone surrogates and other odd unicode, None anywhere.

Used by the entry-point and privacy fuzzes (`test_fuzz_entry_points.py`, `test_fuzz_privacy.py`).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from debtkit import Debt
from tests.conftest import make_full_debt

# Every dotted path of a debt's data, and a value that is right for it.
VALID_DATA: dict[str, Any] = {
    "creditor_reference": "INV-1",
    "amount": "120.50",
    "currency": "EUR",
    "invoice_date": "2024-01-10",
    "due_date": "2024-02-10",
    "description": "Invoice",
    "invoice_reference": "F-1",
    "iban": "FR1420041010050500013M02606",
    "payment_link": "https://pay.example.com/x",
    "creditor_name": "Acme",
    "notes": "n",
    "overdue": {"over_12_months": "10", "over_24_months": "5", "over_6_months": "20"},
    "metadata": {"crm": "42", "tags": ["a"], "score": 0.5},
    "options": {
        "getbill": {"timeline_id": "t1", "accept_expensive_destination": True},
        "debitura": {"is_test": True, "tag": "x"},
    },
    "debtor": {
        "kind": "person",
        "first_name": "Jeanne",
        "last_name": "Martin",
        "company_name": None,
        "civility": "Ms",
        "birth_date": "1980-01-01",
        "email": "jeanne@example.com",
        "phone": "+33612345678",
        "registration_number": "R1",
        "reference": "D1",
        "contact_person": {"first_name": "A", "last_name": "B"},
        "address": {
            "street": "Rue de Rivoli",
            "number": "1",
            "postal_code": "75001",
            "city": "Paris",
            "state": None,
            "country": "FR",
            "full": None,
        },
    },
}


def _paths(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for key, value in data.items():
        found.append((*prefix, key))
        if isinstance(value, dict):
            found.extend(_paths(value, (*prefix, key)))
    return found


DATA_PATHS = _paths(VALID_DATA)


def nested(depth: int, leaf: Any = 1, *, as_dict: bool = False) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"k": value} if as_dict else [value]
    return value


def cyclic() -> Any:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return loop


def _made(*makers: Any) -> st.SearchStrategy[Any]:
    """Values built on draw: huge ones would make hypothesis's repr of the strategy huge too
    (or fail, for ints past 4,300 digits)."""
    return st.sampled_from(makers).map(lambda make: make())


huge_strings = _made(
    lambda: "x" * 1_000_000,
    lambda: "9" * 5000,
    lambda: "+33" + "6" * 100_000,
    lambda: "@" * 300,
    lambda: "é" * 70_000,
)
odd_text = st.text(
    alphabet=st.characters(blacklist_categories=()),  # surrogates, controls, private use too
    max_size=40,
)
odd_decimals = st.sampled_from(
    [
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("1E+999999"),
        Decimal("1E-999999"),
        Decimal("-0"),
        Decimal("0.001"),
        Decimal("9" * 60),
    ]
) | st.decimals(allow_nan=True, allow_infinity=True)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    _made(lambda: 10**5000, lambda: -(10**5000), lambda: 2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_decimals,
    odd_text,
    huge_strings,
    st.binary(max_size=20),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["person", "company", "2024-02-30", "NaN", "1e309", "", " ", "\x00"]),
)
deep = st.integers(min_value=50, max_value=5000).flatmap(
    lambda depth: st.sampled_from(
        [nested(depth), nested(depth, as_dict=True), nested(depth, leaf=float("nan"))]
    )
)
json_like = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)
hostile_values = st.one_of(
    scalars, json_like, deep, st.builds(cyclic), st.just(object()), st.just({1, 2})
)


def _set(data: Any, path: tuple[str, ...], value: Any) -> Any:
    """A copy of `data` with `value` at `path`, creating objects on the way as needed."""
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else {}
    copy[path[0]] = _set(copy.get(path[0]), path[1:], value)
    return copy


def _drop(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    copy = dict(data)
    if len(path) == 1:
        copy.pop(path[0], None)
    elif isinstance(copy.get(path[0]), dict):
        copy[path[0]] = _drop(copy[path[0]], path[1:])
    return copy


@st.composite
def hostile_data(draw: st.DrawFn) -> Any:
    """Debt-shaped data with a few paths replaced, dropped or added; now and then not a
    debt at all."""
    if draw(st.integers(0, 19)) == 0:
        return draw(hostile_values)
    data: dict[str, Any] = VALID_DATA
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(DATA_PATHS))
        action = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if action == "drop":
            data = _drop(data, path)
        elif action == "add":
            data = _set(data, (*path[:-1], draw(st.text(max_size=6))), draw(hostile_values))
        else:
            data = _set(data, path, draw(hostile_values))
    return data


# Fields of each model class, by the attribute path from the debt.
_OBJECT_FIELDS: dict[tuple[str, ...], tuple[str, ...]] = {
    (): tuple(f.name for f in attrs.fields(Debt)),
    ("debtor",): tuple(f.name for f in attrs.fields(type(make_full_debt().debtor))),
    ("debtor", "address"): ("street", "number", "postal_code", "city", "state", "country", "full"),
    ("debtor", "contact_person"): ("first_name", "last_name"),
    ("overdue",): ("over_6_months", "over_12_months", "over_24_months"),
}


def _evolve(obj: Any, path: tuple[str, ...], name: str, value: Any) -> Any:
    if not path:
        return attrs.evolve(obj, **{name: value})
    inner = getattr(obj, path[0])
    if not attrs.has(type(inner)):
        return obj  # an earlier change replaced it with something else
    return attrs.evolve(obj, **{path[0]: _evolve(inner, path[1:], name, value)})


@st.composite
def hostile_debts(draw: st.DrawFn) -> Any:
    """A `Debt` built in code with wrong types somewhere (or not a Debt at all)."""
    if draw(st.integers(0, 19)) == 0:
        return draw(hostile_values)
    debt: Any = make_full_debt()
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(sorted(_OBJECT_FIELDS)))
        name = draw(st.sampled_from(_OBJECT_FIELDS[where]))
        debt = _evolve(debt, where, name, draw(hostile_values | st.builds(lambda: VALID_DATA)))
    return debt


def hostile_json_text() -> st.SearchStrategy[str | bytes]:
    def dumped(data: Any) -> str | None:
        try:
            return json.dumps(data, default=str)
        except (ValueError, TypeError, RecursionError):
            return None

    return st.one_of(
        hostile_data().map(dumped).filter(lambda text: text is not None),  # type: ignore[arg-type]
        st.binary(max_size=200),
        odd_text,
        _made(lambda: "[" * 200_000, lambda: '{"a":' * 100_000),
        st.sampled_from(["\ufeff{}", "1e999999", "NaN", "[]", "null"]),
    )
