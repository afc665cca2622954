"""`DebituraOptions`: the typed view of ``debt.options["debitura"]``.

Keys are the snake_case names of the `POST /cases` fields that have no neutral counterpart.
Unknown keys and values of the wrong type or shape come back as `Problem`s at
``options.debitura.<key>``, all at once; nothing is guessed. ``skipCreationEmails`` is not
offered: the OpenAPI document says Debitura ignores it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs
import cattrs

from debtkit.errors import Problem
from debtkit.validation.rules import RuleViolation, check_email

__all__ = ["OPTIONS_KEY", "DebituraOptions", "parse_options"]

OPTIONS_KEY = "debitura"
_PREFIX = f"options.{OPTIONS_KEY}"

# Length limits transcribed from the OpenAPI document (CreateCollectionCaseRequestApiViewModel
# maxLength); the document itself is never loaded at runtime.
TAG_MAX = 100
ASSIGNED_USER_EMAIL_MAX = 320
RETURN_URL_MAX = 2048


class _OptionError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


Check = Callable[[str], None]


def _uuid(value: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise _OptionError("invalid_uuid", "must be a UUID") from None


def _max_length(limit: int) -> Check:
    def check(value: str) -> None:
        if len(value) > limit:
            raise _OptionError("too_long", f"must be at most {limit} characters")

    return check


def _email(value: str) -> None:
    _max_length(ASSIGNED_USER_EMAIL_MAX)(value)
    try:
        check_email(value)
    except RuleViolation as exc:
        raise _OptionError(exc.code, exc.message) from None


def _absolute_http_url(value: str) -> None:
    # Debitura silently drops an invalid returnUrl; refusing it here loses nothing silently.
    _max_length(RETURN_URL_MAX)(value)
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or any(c in value for c in "\r\n"):
        raise _OptionError("invalid_url", "must be an absolute http(s) URL")


@attrs.frozen
class DebituraOptions:
    creditor_division_id: str | None = None
    collection_partner_id: str | None = None
    allow_pending_contracts: bool | None = None
    is_test: bool | None = None
    tag: str | None = None
    assigned_user_email: str | None = None
    return_url: str | None = None
    skip_debitura_verification: bool | None = None


_CHECKS: Mapping[str, Check] = {
    "creditor_division_id": _uuid,
    "collection_partner_id": _uuid,
    "tag": _max_length(TAG_MAX),
    "assigned_user_email": _email,
    "return_url": _absolute_http_url,
}


def _strict(kind: type, label: str) -> Callable[[object, type], Any]:
    def structure(value: object, _: type) -> Any:
        # bool is an int subclass and "true" is a str: neither slips through as the other.
        if type(value) is not kind:
            raise _OptionError("type", f"must be {label}")
        return value

    return structure


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(str, _strict(str, "a string"))
    conv.register_structure_hook(bool, _strict(bool, "true or false"))
    return conv


_converter = _make_converter()
_FIELDS: Mapping[str, Any] = {
    f.name: f.type for f in attrs.fields(attrs.resolve_types(DebituraOptions))
}


def parse_options(options: Mapping[str, Any] | None) -> tuple[DebituraOptions, list[Problem]]:
    """The typed options, or the defaults and every problem found."""
    if not options:
        return DebituraOptions(), []
    if not isinstance(options, Mapping):
        return DebituraOptions(), [Problem(_PREFIX, "type", "must be an object")]
    problems: list[Problem] = []
    parsed: dict[str, Any] = {}
    for key, value in options.items():
        path = f"{_PREFIX}.{key}"
        if key not in _FIELDS:
            problems.append(Problem(path, "unknown_field", "is not a Debitura option"))
            continue
        try:
            parsed[key] = _converter.structure(value, _FIELDS[key])
            if parsed[key] is not None and key in _CHECKS:
                _CHECKS[key](parsed[key])
        except _OptionError as exc:
            problems.append(Problem(path, exc.code, str(exc)))
    if problems:
        return DebituraOptions(), problems
    return DebituraOptions(**parsed), []
