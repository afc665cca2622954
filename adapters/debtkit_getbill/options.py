"""GetBill's per-debt options, read from ``debt.options["getbill"]``.

Option          | wire key                       | documented
----------------|--------------------------------|-----------
timeline_id     | ``timeline_id``                | yes
timeline_start_mode | ``timeline_start_mode``    | yes: ``immediate`` (default) or ``next_day``
accept_expensive_destination | same              | yes
civility_completion | ``civility_completion``    | **ASSUMED**: the switch is documented (default
                |                                | on, 1 credit per 100 debts needing detection)
                |                                | but its JSON name was never seen
email_validation | ``email_validation``          | **ASSUMED** likewise (default off, 1 credit
                |                                | per 5 billable results)

An option left as None is not sent, so GetBill's own default applies. The two assumed names
live in `CIVILITY_COMPLETION_KEY` and `EMAIL_VALIDATION_KEY`; the simulator accepts the same.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs
import cattrs

from debtkit import Debt, Problem, ValidationError

__all__ = [
    "CIVILITY_COMPLETION_KEY",
    "EMAIL_VALIDATION_KEY",
    "PROVIDER",
    "TIMELINE_START_MODES",
    "GetBillOptions",
    "options_problems",
]

PROVIDER = "getbill"
TIMELINE_START_MODES = ("immediate", "next_day")
CIVILITY_COMPLETION_KEY = "civility_completion"  # ASSUMED wire name (UNSEEN in the docs)
EMAIL_VALIDATION_KEY = "email_validation"  # ASSUMED wire name (UNSEEN in the docs)


@attrs.frozen
class GetBillOptions:
    timeline_id: str | None = None
    timeline_start_mode: Literal["immediate", "next_day"] | None = None
    accept_expensive_destination: bool | None = None
    civility_completion: bool | None = None
    email_validation: bool | None = None

    @classmethod
    def of(cls, debt: Debt) -> GetBillOptions:
        """The debt's GetBill options; `ValidationError` if any key or value is wrong."""
        options, problems = _read(debt.options.get(PROVIDER))
        if problems:
            raise ValidationError(problems)
        return options

    @classmethod
    def lenient(cls, debt: Debt) -> GetBillOptions:
        """The well-formed part of the debt's options (wrong entries are left at None)."""
        return _read(debt.options.get(PROVIDER))[0]

    def apply_to(self, debt: Debt) -> Debt:
        """A copy of `debt` carrying these options (None fields are left out)."""
        options = dict(debt.options)
        options[PROVIDER] = _converter.unstructure(self)
        return attrs.evolve(debt, options=options)


def _strict_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError("must be true or false")
    return value


def _strict_str(value: object, _: type) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError("must be a non-empty string")
    return value


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook(str, _strict_str)
    conv.register_unstructure_hook_factory(
        attrs.has,
        lambda cl: cattrs.gen.make_dict_unstructure_fn(cl, conv, _cattrs_omit_if_default=True),
    )
    return conv


_converter = _make_converter()
_FIELDS = {field.name: field for field in attrs.fields(attrs.resolve_types(GetBillOptions))}


def _field_reader(annotation: Any) -> Callable[[object], Any]:
    """The converter's hook for one ``X | None`` field, looked up once: an option is read on
    every debt of an import, and finding the hook cost more than running it."""
    (inner,) = (arg for arg in typing.get_args(annotation) if arg is not type(None))
    structure = _converter.get_structure_hook(inner)
    return lambda value: None if value is None else structure(value, inner)


_READERS = {name: _field_reader(field.type) for name, field in _FIELDS.items()}
_MESSAGES = {
    "timeline_start_mode": ("choice", "must be one of: " + ", ".join(TIMELINE_START_MODES)),
    "accept_expensive_destination": ("type", "must be true or false"),
    "civility_completion": ("type", "must be true or false"),
    "email_validation": ("type", "must be true or false"),
    "timeline_id": ("type", "must be a non-empty string"),
}


def _read(raw: Mapping[str, Any] | None) -> tuple[GetBillOptions, list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    if raw is None:
        return GetBillOptions(), problems
    if not isinstance(raw, Mapping):
        problems.append(Problem(f"options.{PROVIDER}", "type", "must be an object"))
        return GetBillOptions(), problems
    for key, value in raw.items():
        path = f"options.{PROVIDER}.{key}"
        read = _READERS.get(key)
        if read is None:
            known = ", ".join(_FIELDS)
            problems.append(Problem(path, "unknown_option", f"is not a GetBill option ({known})"))
            continue
        try:
            values[key] = read(value)
        except Exception:  # cattrs raises several kinds; each means "wrong value"
            code, message = _MESSAGES[key]
            problems.append(Problem(path, code, message))
    return GetBillOptions(**values), problems


def options_problems(debt: Debt) -> list[Problem]:
    """Every problem with the debt's GetBill options, at ``options.getbill.<key>``."""
    return _read(debt.options.get(PROVIDER))[1]
