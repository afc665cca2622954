"""What the simulated Debitura refuses with a 400, written from the server's side.

This is deliberately an independent reading of the documents (the "Create a Case" page, the
OpenAPI schemas), not a call into the adapter's rules, so a client bug is caught rather than
mirrored. Field paths are Debitura's camelCase wire paths.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import pycountry

from debtkit_debitura.wire import parse_timestamp

__all__ = [
    "FieldErrors",
    "check_create",
    "check_preview",
    "parse_wire_date",
    "resolve_country",
    "resolve_us_state",
]

FieldErrors = dict[str, list[str]]

_CREATE_FIELDS = frozenset(
    {
        "currencyCode",
        "date",
        "dueDate",
        "comments",
        "claimDescription",
        "creditorReference",
        "debtor",
        "creditorDivisionId",
        "amountToRecover",
        "amountToRecoverOver6Months",
        "amountToRecoverOver12Months",
        "amountToRecoverOver24Months",
        "skipDebituraVerification",
        "skipCreationEmails",
        "allowPendingContracts",
        "isTest",
        "tag",
        "collectionPartnerId",
        "assignedUserEmail",
        "returnUrl",
    }
)
_DEBTOR_FIELDS = frozenset(
    {
        "type",
        "name",
        "contactPerson",
        "companyRegistrationNumber",
        "address",
        "zipCode",
        "city",
        "state",
        "stateAlpha2",
        "countryAlpha2",
        "country",
        "email",
        "phone",
    }
)
_PREVIEW_FIELDS = frozenset(
    {
        "amountToRecover",
        "currencyCode",
        "debtor",
        "amountToRecoverOver6Months",
        "amountToRecoverOver12Months",
        "amountToRecoverOver24Months",
        "dueDate",
        "returnUrl",
    }
)
_PREVIEW_DEBTOR_FIELDS = frozenset({"type", "countryAlpha2", "stateAlpha2"})
_MAX_LENGTHS = {
    "comments": 4000,
    "claimDescription": 4000,
    "creditorReference": 50,
    "tag": 100,
    "assignedUserEmail": 320,
    "returnUrl": 2048,
}
_BOOLEANS = ("skipDebituraVerification", "skipCreationEmails", "allowPendingContracts", "isTest")
_DEBTOR_TYPES = {"company": "Company", "private": "Private", "person": "Private"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def parse_wire_date(value: object) -> dt.date | None:
    """A date from ``2025-01-15`` or any ISO 8601 date-time (its date part); None if neither."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return parse_timestamp(text).date()
    except (TypeError, ValueError):
        return None


def resolve_country(alpha2: object, name: object) -> str | None:
    """countryAlpha2 wins; a name must be the exact official English name."""
    if isinstance(alpha2, str) and alpha2:
        found = pycountry.countries.get(alpha_2=alpha2.upper()) if len(alpha2) == 2 else None
        return str(found.alpha_2) if found is not None else None
    if isinstance(name, str) and name:
        match = next(
            (c for c in pycountry.countries if name in {c.name, getattr(c, "official_name", "")}),
            None,
        )
        return str(match.alpha_2) if match is not None else None
    return None


def resolve_us_state(value: object) -> str | None:
    """Two letters from "CA", "US-CA" or "California" (any case); None otherwise."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().upper().removeprefix("US-")
    found = pycountry.subdivisions.get(code=f"US-{text}")  # type: ignore[no-untyped-call]
    if found is None:
        folded = value.strip().casefold()
        found = next(
            (
                s
                for s in pycountry.subdivisions.get(country_code="US")  # type: ignore[no-untyped-call]
                if s.name.casefold() == folded
            ),
            None,
        )
    return str(found.code).split("-", 1)[1] if found is not None else None


def debtor_type(value: object) -> str | None:
    return _DEBTOR_TYPES.get(value.casefold()) if isinstance(value, str) else None


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        return None
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


class _Errors:
    def __init__(self) -> None:
        self.found: FieldErrors = {}

    def add(self, path: str, message: str) -> None:
        self.found.setdefault(path, []).append(message)


def _unknown(body: Mapping[str, Any], allowed: frozenset[str], prefix: str, out: _Errors) -> None:
    for key in body:
        if key not in allowed:
            out.add(f"{prefix}{key}", "is not a known field")


def _currency(body: Mapping[str, Any], out: _Errors) -> None:
    code = body.get("currencyCode")
    if not isinstance(code, str) or not code.strip():
        out.add("currencyCode", "The currencyCode field is required.")
    elif pycountry.currencies.get(alpha_3=code.upper()) is None or len(code) != 3:
        out.add("currencyCode", "Invalid currency code.")


def _amounts(body: Mapping[str, Any], out: _Errors) -> None:
    total = _number(body.get("amountToRecover"))
    if total is None:
        out.add("amountToRecover", "The amountToRecover field is required.")
    elif total <= 0:
        out.add("amountToRecover", "Amount to recover must be greater than 0.")
    buckets = {}
    for months in (6, 12, 24):
        key = f"amountToRecoverOver{months}Months"
        if body.get(key) is None:
            continue
        value = _number(body[key])
        if value is None:
            out.add(key, "must be a number")
        elif value < 0:
            out.add(key, "must not be negative")
        else:
            buckets[months] = value
    given = {m for m in (6, 12, 24) if body.get(f"amountToRecoverOver{m}Months") is not None}
    if (12 in given) != (24 in given):
        out.add(
            "amountToRecoverOver12Months",
            "AmountToRecoverOver12Months and Over24Months must be provided together.",
        )
    if 6 in given and not {12, 24} <= given:
        out.add(
            "amountToRecoverOver6Months",
            "AmountToRecoverOver6Months can only be provided alongside Over12 and Over24.",
        )
    chain = [(f"amountToRecoverOver{m}Months", buckets.get(m)) for m in (24, 12, 6)]
    chain.append(("amountToRecover", total))
    present = [(k, v) for k, v in chain if v is not None]
    for (key, smaller), (_, bigger) in itertools.pairwise(present):
        if smaller is not None and bigger is not None and smaller > bigger:
            out.add(key, "Age bucket values violate the hierarchy Over24 ≤ Over12 ≤ Over6 ≤ total.")


def _dates(body: Mapping[str, Any], today: dt.date, out: _Errors, *, required: bool) -> None:
    date = parse_wire_date(body.get("date"))
    if body.get("date") is None:
        if required:
            out.add("date", "The date field is required.")
    elif date is None:
        out.add("date", "Invalid date.")
    elif date > today:
        out.add("date", "Date cannot be in the future.")
    if body.get("dueDate") is None:
        return
    due = parse_wire_date(body.get("dueDate"))
    if due is None:
        out.add("dueDate", "Invalid date.")
        return
    if date is not None and due < date:
        out.add("dueDate", "Due date must be on or after date.")
    if due > today:
        out.add("dueDate", "Due date cannot be in the future.")


def _texts(body: Mapping[str, Any], out: _Errors) -> None:
    for key, limit in _MAX_LENGTHS.items():
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            out.add(key, "must be a string")
        elif len(value) > limit and key != "returnUrl":  # an invalid returnUrl is dropped
            out.add(key, f"The field {key} must be a string with a maximum length of {limit}.")
    email = body.get("assignedUserEmail")
    if isinstance(email, str) and not _EMAIL.fullmatch(email):
        out.add("assignedUserEmail", "The assignedUserEmail field is not a valid e-mail address.")
    for key in _BOOLEANS:
        if body.get(key) is not None and not isinstance(body[key], bool):
            out.add(key, "must be true or false")
    for key in ("creditorDivisionId", "collectionPartnerId"):
        value = body.get(key)
        if value is None:
            continue
        try:
            uuid.UUID(str(value))
        except ValueError:
            out.add(key, "must be a GUID")


def _debtor(debtor: object, out: _Errors) -> None:
    if not isinstance(debtor, Mapping):
        out.add("debtor", "The debtor field is required.")
        return
    _unknown(debtor, _DEBTOR_FIELDS, "debtor.", out)
    for key, value in debtor.items():
        if value is not None and not isinstance(value, str):
            out.add(f"debtor.{key}", "must be a string")
    if debtor_type(debtor.get("type")) is None:
        out.add("debtor.type", "Invalid debtor type. Use 'Company' or 'Private'.")
    for key, label in (("name", "name"), ("address", "address"), ("city", "city")):
        if not str(debtor.get(key) or "").strip():
            out.add(f"debtor.{key}", f"The debtor {label} is required.")
    country = resolve_country(debtor.get("countryAlpha2"), debtor.get("country"))
    if country is None:
        key = "debtor.country" if debtor.get("countryAlpha2") is None else "debtor.countryAlpha2"
        out.add(key, "Invalid country code.")
    elif country == "US":
        state = debtor.get("stateAlpha2") or debtor.get("state")
        if resolve_us_state(state) is None:
            out.add("debtor.stateAlpha2", "StateAlpha2 is required for US debtors.")
    email = debtor.get("email")
    if isinstance(email, str) and not _EMAIL.fullmatch(email):
        out.add("debtor.email", "The email field is not a valid e-mail address.")


def check_create(
    body: Mapping[str, Any],
    *,
    today: dt.date,
    known_division: Callable[[str], bool],
) -> FieldErrors:
    """Every field problem in a ``POST /cases`` body (empty when it is acceptable)."""
    out = _Errors()
    _unknown(body, _CREATE_FIELDS, "", out)
    _currency(body, out)
    _amounts(body, out)
    _dates(body, today, out, required=True)
    _texts(body, out)
    _debtor(body.get("debtor"), out)
    division = body.get("creditorDivisionId")
    valid = isinstance(division, str) and "creditorDivisionId" not in out.found
    if valid and not known_division(str(division)):
        out.add("creditorDivisionId", "Division not found.")
    return out.found


def check_preview(body: Mapping[str, Any]) -> FieldErrors:
    """Every field problem in a ``POST /cases/preview`` body."""
    out = _Errors()
    _unknown(body, _PREVIEW_FIELDS, "", out)
    _currency(body, out)
    _amounts(body, out)
    debtor = body.get("debtor")
    if not isinstance(debtor, Mapping):
        out.add("debtor", "The debtor field is required.")
    else:
        _unknown(debtor, _PREVIEW_DEBTOR_FIELDS, "debtor.", out)
        if debtor_type(debtor.get("type")) is None:
            out.add("debtor.type", "Invalid debtor type. Use 'Company' or 'Private'.")
        country = debtor.get("countryAlpha2")
        if (
            not isinstance(country, str)
            or len(country) != 2
            or resolve_country(country, None) is None
        ):
            out.add("debtor.countryAlpha2", "Invalid country code.")
        elif country.upper() == "US":
            state = debtor.get("stateAlpha2")
            if not isinstance(state, str) or len(state) != 2 or resolve_us_state(state) is None:
                out.add("debtor.stateAlpha2", "StateAlpha2 is required for US cases.")
    buckets = any(body.get(f"amountToRecoverOver{m}Months") is not None for m in (6, 12, 24))
    if body.get("dueDate") is not None:
        if parse_wire_date(body["dueDate"]) is None:
            out.add("dueDate", "Invalid date.")
        elif buckets:
            out.add("dueDate", "dueDate and the age bucket fields are mutually exclusive.")
    return out.found


def iter_messages(errors: FieldErrors) -> Iterator[tuple[str, str]]:
    for key, messages in errors.items():
        for message in messages:
            yield key, message
