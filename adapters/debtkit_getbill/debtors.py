"""GetBill debtors: the people and businesses behind the company's debts.

``client.debtors``: `list`, `get` (with the totals: amount owed and paid, repayment score,
number of debts), `update`, and `debts` (a debtor's debts, as `Case`). Debtors are camelCase
with naive timestamps (see `debtkit_getbill.models`); a read or update answer is wrapped in
``data`` twice. Names are snake_case here and camelCase on the wire.

Refused locally, as documented: a ``date_of_birth`` that is not YYYY-MM-DD (GetBill answers
400 "Invalid dateOfBirth format. Use YYYY-MM-DD").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from debtkit import Case, ConfigurationError, Problem, ValidationError
from debtkit.paging import case_key
from debtkit.transport import Transport
from debtkit_getbill.api import ResourceApi, segment
from debtkit_getbill.models import Naive, camel, structure
from debtkit_getbill.wire import case_from_record

__all__ = ["DEBTOR_FIELDS", "Debtor", "Debtors"]

SUBJECT = "GetBill debtor"
DEBTOR_FIELDS: Mapping[str, str] = {
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "email",
    "phone": "phone",
    "address": "address",
    "date_of_birth": "dateOfBirth",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@camel
@attrs.frozen
class Debtor:
    """A debtor; the totals are set only by `Debtors.get`. No personal data in its repr."""

    id: str
    first_name: str | None = attrs.field(default=None, repr=False)
    last_name: str | None = attrs.field(default=None, repr=False)
    email: str | None = attrs.field(default=None, repr=False)
    phone: str | None = attrs.field(default=None, repr=False)
    address: str | None = attrs.field(default=None, repr=False)
    date_of_birth: dt.date | None = attrs.field(default=None, repr=False)
    first_seen_at: Naive | None = None
    last_seen_at: Naive | None = None
    last_updated_at: Naive | None = None
    total_debt_amount: Decimal | None = None
    total_paid_amount: Decimal | None = None
    average_repayment_score: Decimal | None = None
    debts_count: int | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


def _date_of_birth(value: Any) -> str:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    problem = Problem("date_of_birth", "invalid_date", "Invalid dateOfBirth format. Use YYYY-MM-DD")
    raise ValidationError([problem], subject=SUBJECT)


def update_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(DEBTOR_FIELDS)
    if unknown:
        raise ConfigurationError(
            f"unknown debtor field(s) {sorted(unknown)}; known: {sorted(DEBTOR_FIELDS)}"
        )
    body: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "date_of_birth" and value is not None:
            value = _date_of_birth(value)
        elif value is not None and not isinstance(value, str):
            raise ConfigurationError(f"debtor {name} must be a string")
        body[DEBTOR_FIELDS[name]] = value
    return body


class Debtors:
    """``client.debtors``."""

    def __init__(self, transport: Transport) -> None:
        self._read = ResourceApi(transport, "debtors:read")
        wire_names = {wire: name for name, wire in DEBTOR_FIELDS.items()}
        self._write = ResourceApi(transport, "debtors:write", wire_names)
        self._debts = ResourceApi(transport, "debts:read")

    def list(self) -> AsyncIterator[Debtor]:
        return self._read.pages("debtors", _debtor, key=_key)

    async def get(self, debtor_id: str) -> Debtor:
        response = await self._read.get(f"debtors/{segment(debtor_id)}")
        return self._read.one(response, Debtor, SUBJECT)

    async def update(self, debtor_id: str, **fields: Any) -> Debtor:
        """Change the given fields (``first_name``, ``last_name``, ``email``, ``phone``,
        ``address``, ``date_of_birth``); the answer is the updated debtor."""
        body = update_body(fields)
        path = f"debtors/{segment(debtor_id)}"
        response = await self._write.write("PUT", path, body)
        return self._write.one(response, Debtor, SUBJECT)

    def debts(self, debtor_id: str, **filters: str) -> AsyncIterator[Case]:
        """Every debt of one debtor (filters such as ``status`` are passed through)."""
        path = f"debts/by-debtor/{segment(debtor_id)}"
        return self._debts.pages(path, case_from_record, _filters(filters), key=case_key)


def _filters(filters: Mapping[str, Any]) -> dict[str, str]:
    for name, value in filters.items():
        if not isinstance(value, str):
            raise ConfigurationError(f"filter {name} must be a string")
    return dict(filters)


def _debtor(record: Any) -> Debtor:
    return structure(record, Debtor, SUBJECT)


def _key(debtor: Debtor) -> str:
    return debtor.id
