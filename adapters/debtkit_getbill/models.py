"""Reading GetBill's non-debt records into typed attrs models with one cattrs converter.

Quirks handled here, as the fact sheet documents them:

- Debtors and creditors use **camelCase** (`camel` registers the renaming); the rest is
  snake_case.
- Timestamps come three ways: ISO-8601 with an offset (followups), with ``Z`` (reports,
  users, company) and **naive** ``"2024-01-15 10:30:00"`` (debtors, creditors). Offset and
  ``Z`` times become aware UTC `datetime`. Naive ones are the `Naive` type, a `datetime`
  without tzinfo: GetBill does not say which zone they are in (UTC? Paris, where GetBill
  runs?), and the safe reading is not to guess, because a wrong guess shifts every value by
  an hour or two without anyone noticing. Callers who know their account's zone can
  ``value.replace(tzinfo=...)``. (The simulator writes them in UTC wall time.)
- Money and scores are `Decimal`, never float. Unknown fields are ignored by the model and
  kept, with the whole record, in each model's ``raw``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NewType, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from debtkit import Problem, ValidationError
from debtkit_getbill.wire import structure_datetime, structure_decimal

__all__ = [
    "Naive",
    "Vocabulary",
    "camel",
    "converter",
    "renamed",
    "structure",
    "vocabulary",
]

Naive = NewType("Naive", dt.datetime)  # a wall-clock time in an undocumented zone
T = TypeVar("T")
E = TypeVar("E", bound="Vocabulary")


class Vocabulary(str, enum.Enum):
    """A provider vocabulary whose values GetBill may extend; unknown ones read as UNKNOWN
    and the string itself stays in the model's matching ``*_raw`` field."""


def vocabulary(cls: type[E], value: str | None) -> E | None:
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        return cls("unknown")


def _naive(value: object, _: type) -> dt.datetime:
    if not isinstance(value, str):
        raise TypeError("must be a 'YYYY-MM-DD HH:MM:SS' string")
    parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "T"))
    if parsed.tzinfo is not None:  # an offset after all: keep the instant, in UTC
        return parsed.astimezone(dt.timezone.utc)
    return parsed


def _date(value: object, _: type) -> dt.date:
    if not isinstance(value, str):
        raise TypeError("must be a YYYY-MM-DD string")
    return dt.date.fromisoformat(value.strip()[:10])


def _str(value: object, _: type) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError("must be a string")
    return str(value)


def _int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise TypeError("must be an integer")
    number = Decimal(str(value))
    if number != number.to_integral_value():
        raise ValueError("must be whole")
    return int(number)


def _bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError("must be a boolean")
    return value


def _raw(value: object, _: type) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_structure_hook(Decimal, structure_decimal)
    conv.register_structure_hook(dt.datetime, structure_datetime)
    conv.register_structure_hook(Naive, _naive)
    conv.register_structure_hook(dt.date, _date)
    conv.register_structure_hook(str, _str)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(bool, _bool)
    conv.register_structure_hook_func(lambda t: t == Mapping[str, Any], _raw)
    return conv


converter = _make_converter()


def camel(cls: type[T]) -> type[T]:
    """Class decorator: read `cls` from camelCase keys (``first_name`` <- ``firstName``)."""

    def name(field: str) -> str:
        head, *rest = field.split("_")
        return head + "".join(part.capitalize() for part in rest)

    overrides: dict[str, Any] = {
        f.name: override(rename=name(f.name))
        for f in attrs.fields(cls)  # type: ignore[arg-type]
        if f.name != "raw"
    }
    converter.register_structure_hook(cls, make_dict_structure_fn(cls, converter, **overrides))
    return cls


def renamed(**keys: str) -> Any:
    """Class decorator: read the named fields from other keys (``type_raw`` <- ``type``)."""

    def register(cls: type[T]) -> type[T]:
        overrides: dict[str, Any] = {field: override(rename=key) for field, key in keys.items()}
        converter.register_structure_hook(cls, make_dict_structure_fn(cls, converter, **overrides))
        return cls

    return register


def structure(record: Any, cls: type[T], subject: str) -> T:
    """`record` as `cls`, its whole mapping kept in ``raw``; `ValidationError` if malformed."""
    if not isinstance(record, Mapping):
        raise ValidationError([Problem("", "type", "must be an object")], subject=subject)
    try:
        return converter.structure({**record, "raw": record}, cls)
    except Exception as exc:
        raise ValidationError(_problems(exc), subject=subject) from None


def _problems(exc: BaseException) -> list[Problem]:
    found: list[Problem] = []
    for sub in getattr(exc, "exceptions", ()):
        names = [n.name for n in getattr(sub, "__notes__", ()) if hasattr(n, "name")]
        found.append(Problem(names[0] if names else "", "invalid", "has an invalid value"))
    return found or [Problem("", "invalid", "is malformed")]
