"""The type gate: does a model object hold the types its annotations promise?

A `Debt` built in code is not checked when it is constructed (attrs does not, and checking
there would cost every bulk import twice), so a float amount, an int phone, a ``str`` date or a
dict where a `Debtor` belongs would reach the rules and fail deep inside them with an
``AttributeError`` or ``TypeError``. Every entry point that takes a model object (validation,
``to_wire``, credit estimates) passes it through here first and gets `Problem`s with field
paths instead. The checks are derived from the attrs annotations, so a new field is covered
without touching this module. Money must be `Decimal`: a float is refused, never converted,
because it is already inexact.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from debtkit.errors import Problem, ValidationError
from debtkit.model import Debt
from debtkit.validation.type_predicates import is_well_typed

__all__ = ["require_types", "type_problems"]

# (value, path, found) -> None: appends what is wrong with `value` at `path` to `found`.
_Check = Callable[[object, str, list[Problem]], None]


def type_problems(value: object, cls: type = Debt) -> list[Problem]:
    """Every field of `value` whose value does not have its annotated type, by field path."""
    if is_well_typed(cls)(value):  # nearly every value: skip the walk that names problems
        return []
    found: list[Problem] = []
    _check_for(cls)(value, "", found)
    return found


def require_types(value: object, cls: type = Debt) -> None:
    """`ValidationError` with every ill-typed field of `value`; for entry points that take a
    model object straight from a caller (``to_wire``, estimates) without full validation."""
    found = type_problems(value, cls)
    if found:
        raise ValidationError(found, subject=cls.__name__)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _is_text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    if value.isascii():
        return True
    try:  # lone surrogates: no UTF-8 encoder, hence no provider, accepts them
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_str(value: object, path: str, found: list[Problem]) -> None:
    if not isinstance(value, str):
        found.append(Problem(path, "type", "must be a string"))
    elif not _is_text(value):
        found.append(Problem(path, "encoding", "must be text that UTF-8 can encode"))


def _check_decimal(value: object, path: str, found: list[Problem]) -> None:
    if isinstance(value, float):
        found.append(Problem(path, "type", "must be a Decimal, not a float (floats are inexact)"))
    elif not isinstance(value, Decimal):
        found.append(Problem(path, "type", "must be a Decimal"))


def _check_date(value: object, path: str, found: list[Problem]) -> None:
    # A datetime is a date subclass, but comparing one with a date raises TypeError.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        found.append(Problem(path, "type", "must be a datetime.date"))


def _check_datetime(value: object, path: str, found: list[Problem]) -> None:
    if not isinstance(value, dt.datetime):
        found.append(Problem(path, "type", "must be a datetime.datetime"))


def _check_bool(value: object, path: str, found: list[Problem]) -> None:
    if not isinstance(value, bool):
        found.append(Problem(path, "type", "must be true or false"))


def _string_keyed(value: object) -> bool:
    return isinstance(value, Mapping) and all(isinstance(key, str) for key in value)


def _check_mapping(value: object, path: str, found: list[Problem]) -> None:
    if not _string_keyed(value):
        found.append(Problem(path, "type", "must be a mapping with string keys"))


def _check_mapping_of_mappings(value: object, path: str, found: list[Problem]) -> None:
    if not _string_keyed(value):
        found.append(Problem(path, "type", "must be a mapping with string keys"))
        return
    assert isinstance(value, Mapping)
    for key, inner in value.items():
        _check_mapping(inner, _join(path, key), found)


def _enum_check(cls: type[enum.Enum]) -> _Check:
    allowed = ", ".join(str(member.value) for member in cls)

    def check(value: object, path: str, found: list[Problem]) -> None:
        if not isinstance(value, cls):
            found.append(Problem(path, "choice", f"must be a {cls.__name__}: one of {allowed}"))

    return check


def _optional(inner: _Check) -> _Check:
    def check(value: object, path: str, found: list[Problem]) -> None:
        if value is not None:
            inner(value, path, found)

    return check


def _required(inner: _Check) -> _Check:
    def check(value: object, path: str, found: list[Problem]) -> None:
        if value is None:
            found.append(Problem(path, "required", "is required"))
        else:
            inner(value, path, found)

    return check


def _attrs_check(cls: type) -> _Check:
    fields = [
        (field.name, _check_for(field.type)) for field in attrs.fields(attrs.resolve_types(cls))
    ]
    hint = "; build it with debtkit.structure" if cls.__module__.startswith("debtkit") else ""

    def check(value: object, path: str, found: list[Problem]) -> None:
        if not isinstance(value, cls):
            found.append(Problem(path, "type", f"must be a {cls.__name__}{hint}"))
            return
        for name, field_check in fields:
            field_check(getattr(value, name), _join(path, name), found)

    return check


_SIMPLE: Mapping[object, _Check] = {
    str: _check_str,
    Decimal: _check_decimal,
    dt.date: _check_date,
    dt.datetime: _check_datetime,
    bool: _check_bool,
    Mapping[str, Any]: _check_mapping,
    Mapping[str, Mapping[str, Any]]: _check_mapping_of_mappings,
}


def _unchecked(value: object, path: str, found: list[Problem]) -> None:
    return None


@functools.cache  # one plan per model class and annotation, built once
def _check_for(annotation: Any) -> _Check:
    # Annotations it does not know (a union of several types, Any) are not checked: the
    # gate only ever refuses what it can name.
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            return _unchecked
        return _optional(_check_for(members[0]))
    if annotation in _SIMPLE:
        return _required(_SIMPLE[annotation])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _required(_enum_check(annotation))
    if isinstance(annotation, type) and attrs.has(annotation):
        return _required(_attrs_check(annotation))
    return _unchecked
