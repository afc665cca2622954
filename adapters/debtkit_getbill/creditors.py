"""GetBill creditors: the companies a collection agency collects for.

``client.creditors``: `list`, `get` (with ``total_debts`` and ``total_amount``), `update`
(PUT: the whole creditor), `partial_update` (PATCH: only the given fields) and `debts` (a
creditor's debts, as `Case`). camelCase on the wire, naive timestamps, ``data`` wrapped twice
on a read; validation errors come as ``errors: [{property, message}]`` (read by the adapter's
error parser). No create or delete endpoint is documented.

PUT replaces: the docs call it the full update, so `update` sends every field, and a field
left out is sent as null (cleared). `partial_update` is the one to change a few fields.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from debtkit import Case, ConfigurationError
from debtkit.paging import case_key
from debtkit.transport import Transport
from debtkit_getbill.api import ResourceApi, segment
from debtkit_getbill.models import Naive, camel, structure
from debtkit_getbill.wire import case_from_record

__all__ = ["CREDITOR_FIELDS", "Creditor", "Creditors"]

SUBJECT = "GetBill creditor"
CREDITOR_FIELDS: Mapping[str, str] = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "address": "address",
    "city": "city",
    "postal_code": "postalCode",
    "country": "country",
    "registration_number": "registrationNumber",
    "tax_number": "taxNumber",
    "contact_person": "contactPerson",
}


@camel
@attrs.frozen
class Creditor:
    """A creditor; the totals are set only by `Creditors.get`."""

    id: str
    name: str | None = None
    email: str | None = attrs.field(default=None, repr=False)
    phone: str | None = attrs.field(default=None, repr=False)
    address: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None  # a name ("France") in the docs' examples, not a code
    registration_number: str | None = None
    tax_number: str | None = None
    contact_person: str | None = attrs.field(default=None, repr=False)  # a person's name
    created_at: Naive | None = None
    updated_at: Naive | None = None
    total_debts: int | None = None
    total_amount: Decimal | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


def _body(fields: Mapping[str, Any], *, full: bool) -> dict[str, Any]:
    unknown = set(fields) - set(CREDITOR_FIELDS)
    if unknown:
        raise ConfigurationError(
            f"unknown creditor field(s) {sorted(unknown)}; known: {sorted(CREDITOR_FIELDS)}"
        )
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"creditor {name} must be a string")
    names = CREDITOR_FIELDS if full else fields
    return {CREDITOR_FIELDS[name]: fields.get(name) for name in names}


class Creditors:
    """``client.creditors``."""

    def __init__(self, transport: Transport) -> None:
        self._read = ResourceApi(transport, "creditors:read")
        wire_names = {wire: name for name, wire in CREDITOR_FIELDS.items()}
        self._write = ResourceApi(transport, "creditors:write", wire_names)
        self._debts = ResourceApi(transport, "debts:read")

    def list(self) -> AsyncIterator[Creditor]:
        return self._read.pages("creditors", _creditor, key=_key)

    async def get(self, creditor_id: str) -> Creditor:
        response = await self._read.get(f"creditors/{segment(creditor_id)}")
        return self._read.one(response, Creditor, SUBJECT)

    async def update(self, creditor_id: str, **fields: str | None) -> Creditor:
        """PUT: replace the creditor; every field not given is sent as null."""
        return await self._send("PUT", creditor_id, _body(fields, full=True))

    async def partial_update(self, creditor_id: str, **fields: str | None) -> Creditor:
        """PATCH: change only the given fields."""
        if not fields:
            raise ConfigurationError("partial_update needs at least one field")
        return await self._send("PATCH", creditor_id, _body(fields, full=False))

    async def _send(self, method: str, creditor_id: str, body: Mapping[str, Any]) -> Creditor:
        response = await self._write.write(method, f"creditors/{segment(creditor_id)}", body)
        return self._write.one(response, Creditor, SUBJECT)

    def debts(self, creditor_id: str, **filters: str) -> AsyncIterator[Case]:
        """Every debt of one creditor (filters such as ``status`` are passed through)."""
        for name, value in filters.items():
            if not isinstance(value, str):
                raise ConfigurationError(f"filter {name} must be a string")
        path = f"debts/by-creditor/{segment(creditor_id)}"
        return self._debts.pages(path, case_from_record, dict(filters), key=case_key)


def _creditor(record: Any) -> Creditor:
    return structure(record, Creditor, SUBJECT)


def _key(creditor: Creditor) -> str:
    return creditor.id
