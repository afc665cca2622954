"""The one cattrs converter for the neutral model.

JSON-safe both ways: `Decimal` as an exact string (floats refused on input, since they are
already inexact), dates as ``YYYY-MM-DD``, datetimes as aware ISO 8601 in UTC, enums as their
value, `None` (and empty mappings) omitted. Unknown keys are refused: they are typos in what a
creditor hands over, and silently dropping them would lose data. Structuring errors come back as
`ValidationError` with one `Problem` per field path.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from debtkit.errors import Problem, ValidationError
from debtkit.model import CaseStatus, Debt, DebtorKind

__all__ = [
    "converter",
    "debt_from_json",
    "from_json",
    "problems_from_structuring",
    "structure",
    "to_json",
    "unstructure",
]

T = TypeVar("T")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Refused(ValueError):
    """A value of the wrong kind; carries a stable problem code."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, (bool, float)):
        raise _Refused("type", "must be a decimal string or an integer, not a float")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise _Refused("type", "is not a decimal number") from None
    else:
        raise _Refused("type", "must be a decimal string or an integer")
    if not result.is_finite():
        raise _Refused("type", "must be a finite number")
    return result


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _Refused("type", "must be a string")
    return value


def _structure_date(value: object, _: type) -> dt.date:
    if isinstance(value, dt.datetime):
        raise _Refused("type", "must be a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _Refused("format", "must be a date in YYYY-MM-DD format")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Refused("format", "is not a real calendar date") from None


def _structure_datetime(value: object, _: type) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _Refused("format", "must be an ISO 8601 date and time") from None
    else:
        raise _Refused("type", "must be an ISO 8601 date and time")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _Refused("timezone", "must carry a UTC offset")
    return parsed.astimezone(dt.timezone.utc)


def _structure_enum(value: object, cls: type[enum.Enum]) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise _Refused("choice", f"must be one of: {allowed}") from None


def _structure_json_mapping(value: object, _: type) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _Refused("type", "must be an object")
    if not all(isinstance(k, str) for k in value):
        raise _Refused("type", "must have string keys")
    return dict(value)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_structure_hook(dt.datetime, _structure_datetime)
    conv.register_unstructure_hook(dt.datetime, lambda v: v.astimezone(dt.timezone.utc).isoformat())
    # Registered per class: the model's enums are also `str`, and the `str` hook would win.
    for enum_type in (DebtorKind, CaseStatus):
        conv.register_structure_hook(enum_type, _structure_enum)
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda v: v.value
    )
    json_mappings = (Mapping[str, Any], Mapping[str, Mapping[str, Any]])
    conv.register_structure_hook_func(lambda t: t in json_mappings, _structure_json_mapping)

    def unstructure_factory(cl: type) -> Callable[[Any], dict[str, Any]]:
        return make_dict_unstructure_fn(cl, conv, _cattrs_omit_if_default=True)

    def structure_factory(cl: type) -> Callable[[Any, type], Any]:
        # Unknown keys are found by `_unknown_fields` beforehand, so that they are reported
        # together with every other problem instead of masking them.
        inner: Callable[[Any, Any], Any] = make_dict_structure_fn(cl, conv)

        def structure_object(value: Any, target: type) -> Any:
            if not isinstance(value, Mapping):
                raise _Refused("type", "must be an object")
            return inner(value, target)

        return structure_object

    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    conv.register_structure_hook_factory(attrs.has, structure_factory)
    return conv


converter: cattrs.Converter = _make_converter()
"""The neutral converter. Adapters build their own wire converters; this one is for the model."""


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)


def structure(data: object, cls: type[T]) -> T:
    """Structure `data` into `cls`; any problem becomes a `ValidationError` with field paths."""
    if not isinstance(data, Mapping) and attrs.has(cls):
        raise ValidationError([Problem("", "type", "must be an object")], subject=cls.__name__)
    problems = _unknown_fields(data, cls, "")
    try:
        result = converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        problems.extend(problems_from_structuring(exc))
        raise ValidationError(problems, subject=cls.__name__) from None
    if problems:
        raise ValidationError(problems, subject=cls.__name__)
    return result


def _unknown_fields(data: object, cls: Any, path: str) -> list[Problem]:
    """Keys of `data` that no attrs field of `cls` (recursively) accepts."""
    if not isinstance(data, Mapping):
        return []
    table = _field_table(cls)
    if table is None:
        return []
    names, nested = table
    problems = [
        Problem(_join(path, str(key)), "unknown_field", "is not a known field")
        for key in data
        if key not in names
    ]
    for name, candidates in nested:
        if name in data:
            for candidate in candidates:
                problems.extend(_unknown_fields(data[name], candidate, _join(path, name)))
    return problems


# (field names, (field name, attrs classes it may hold)...) of an attrs class, or None.
_FieldTable = tuple[frozenset[str], tuple[tuple[str, tuple[type, ...]], ...]]


@functools.lru_cache(maxsize=256)
def _field_table(cls: Any) -> _FieldTable | None:
    """What `_unknown_fields` needs of `cls`, derived once per class: a bulk import structures
    every row, and resolving the annotations per row cost more than the structuring itself."""
    if not (isinstance(cls, type) and attrs.has(cls)):
        return None
    fields = attrs.fields(attrs.resolve_types(cls))
    nested = []
    for field in fields:
        candidates = getattr(field.type, "__args__", None) or (field.type,)
        found = tuple(c for c in candidates if isinstance(c, type) and attrs.has(c))
        if found:
            nested.append((field.name, found))
    return frozenset(f.name for f in fields), tuple(nested)


def _join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def problems_from_structuring(exc: BaseException, path: str = "") -> list[Problem]:
    """Flatten a cattrs error tree into `Problem`s with dotted paths."""
    if isinstance(exc, ForbiddenExtraKeysError):
        return [
            Problem(_join(path, key), "unknown_field", "is not a known field")
            for key in sorted(exc.extra_fields)
        ]
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        problems: list[Problem] = []
        for sub in exc.exceptions:
            sub_path = path
            for note in getattr(sub, "__notes__", ()):
                if isinstance(note, AttributeValidationNote):
                    sub_path = _join(path, note.name)
                elif isinstance(note, IterableValidationNote):
                    sub_path = _join(path, note.index)
            problems.extend(problems_from_structuring(sub, sub_path))
        return problems
    if isinstance(exc, _Refused):
        return [Problem(path, exc.code, str(exc))]
    if isinstance(exc, KeyError):
        return [Problem(path, "required", "is required")]
    return [Problem(path, "invalid", "has an invalid value")]


def to_json(obj: Any) -> str:
    """Compact, deterministic JSON for a model object; `ValidationError` if it holds what its
    annotations or JSON cannot carry (a float amount, NaN, nesting past the encoder's reach):
    writing it anyway would change the value silently or produce text no parser accepts."""
    if attrs.has(type(obj)):
        # Imported here: the validation package imports this module.
        from debtkit.validation.types import require_types

        require_types(obj, type(obj))
    try:
        return json.dumps(
            unstructure(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    except (ValueError, TypeError, RecursionError):
        problem = Problem("", "not_json", "cannot be written as JSON")
        raise ValidationError([problem], subject=type(obj).__name__) from None


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Parse JSON text into `cls`; `ValidationError` for anything that is not valid JSON of
    that shape, including text nested deeper than the parser can go."""
    if not isinstance(text, (str, bytes, bytearray)):
        problem = Problem("", "type", "must be JSON text (str or bytes)")
        raise ValidationError([problem], subject=cls.__name__)
    try:
        data = json.loads(text)
    except ValueError:  # includes undecodable bytes
        problem = Problem("", "json", "is not valid JSON")
        raise ValidationError([problem], subject=cls.__name__) from None
    except RecursionError:
        problem = Problem("", "too_deep", "is nested too deeply")
        raise ValidationError([problem], subject=cls.__name__) from None
    return structure(data, cls)


def debt_from_json(text: str | bytes) -> Debt:
    """Shorthand for ``from_json(text, Debt)``."""
    return from_json(text, Debt)
