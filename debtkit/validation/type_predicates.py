"""The type gate's fast path: one generated predicate per model class, "is all of it well typed?".

`debtkit.validation.types` walks a model object field by field, building a path for each and
collecting `Problem`s; that walk costs more than several of the rules themselves, and nearly
every debt of an import passes it. So the gate first asks the predicate built here, which
checks exactly the same conditions in one straight-line function per class (no paths, no
list, no call per field), and only an object that fails it pays for the walk that says why.

The predicate is generated source, as attrs and cattrs generate theirs: a loop over field
descriptors in Python costs about three times as much per field. Each condition below must
say what the matching check in `types` accepts, no more and no less (the tests compare them).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import itertools
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["is_well_typed"]


def _is_text(value: str) -> bool:
    # Called only for non-ASCII text: lone surrogates cannot be encoded, hence never sent.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_is_str: Callable[[object], bool] = str.__instancecheck__  # isinstance(x, str), as a function


def _string_keyed(value: object) -> bool:
    # A dict is a Mapping; asking the ABC costs more than the rest of the check.
    return (type(value) is dict or isinstance(value, Mapping)) and all(map(_is_str, value))


def _string_keyed_of_string_keyed(value: object) -> bool:
    return _string_keyed(value) and all(map(_string_keyed, value.values()))  # type: ignore[attr-defined]


# annotation -> condition on `x` (the field's value, known not to be None)
_SIMPLE: Mapping[object, str] = {
    str: "isinstance(x, str) and (x.isascii() or _is_text(x))",
    Decimal: "isinstance(x, Decimal)",
    dt.date: "isinstance(x, date) and not isinstance(x, datetime)",
    dt.datetime: "isinstance(x, datetime)",
    bool: "isinstance(x, bool)",
    Mapping[str, Any]: "_string_keyed(x)",
    Mapping[str, Mapping[str, Any]]: "_string_keyed_of_string_keyed(x)",
}


class _Source:
    """The generated module: its globals, and one function name per class."""

    def __init__(self) -> None:
        self.names = itertools.count()
        self.scope: dict[str, Any] = {
            "Decimal": Decimal,
            "date": dt.date,
            "datetime": dt.datetime,
            "_is_text": _is_text,
            "_string_keyed": _string_keyed,
            "_string_keyed_of_string_keyed": _string_keyed_of_string_keyed,
        }

    def bind(self, value: object) -> str:
        name = f"_g{next(self.names)}"
        self.scope[name] = value
        return name


def _condition(annotation: Any, source: _Source) -> tuple[str, bool] | None:
    """(condition on a non-None `x`, whether None is allowed), or None for "not checked"."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            return None
        inner = _condition(members[0], source)
        return None if inner is None else (inner[0], True)
    if annotation in _SIMPLE:
        return _SIMPLE[annotation], False
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return f"isinstance(x, {source.bind(annotation)})", False
    if isinstance(annotation, type) and attrs.has(annotation):
        return f"{source.bind(is_well_typed(annotation))}(x)", False
    return None


@functools.cache  # one predicate per model class, built once
def is_well_typed(cls: type) -> Callable[[object], bool]:
    """A predicate: True exactly when `types.type_problems(value, cls)` finds nothing."""
    source = _Source()
    lines = ["def is_well_typed(value):", f"    if not isinstance(value, {source.bind(cls)}):"]
    lines.append("        return False")
    for field in attrs.fields(attrs.resolve_types(cls)):
        found = _condition(field.type, source)
        if found is None:
            continue
        condition, optional = found
        lines.append(f"    x = value.{field.name}")
        guard = "x is not None and " if optional else "x is None or not "
        if optional:
            lines.append(f"    if {guard}not ({condition}):")
        else:
            lines.append(f"    if {guard}({condition}):")
        lines.append("        return False")
    lines.append("    return True")
    exec("\n".join(lines), source.scope)
    predicate: Callable[[object], bool] = source.scope["is_well_typed"]
    return predicate
