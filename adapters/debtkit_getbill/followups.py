"""GetBill followups: what each call, email, SMS or letter to a debtor did.

``client.followups``: `list` (filters ``status``, ``type``, and any other criterion GetBill
takes, passed through as query parameters: the docs mention "date range and other criteria"
without naming them), `get`, `by_debt`, `create`, `update`. Reads spend the ``read``
budget, writes ``write``; every list walks all pages.

`type`, `status` and `direction` are typed vocabularies that keep unknown values: a value
GetBill adds later reads as ``UNKNOWN`` and the string stays in ``type_raw`` (etc.).

A create is a POST without an idempotency key: it is never re-sent, and a create whose answer
was lost raises `AmbiguousWriteError` (GetBill gives no way to find the followup it may have
made). Locally refused, as documented: a create without ``debt_id``, an update that changes
``debt_id``, and field names GetBill does not list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs

from debtkit import AmbiguousWriteError, ConfigurationError, DebtkitError
from debtkit.exactly_once import is_ambiguous
from debtkit.transport import Transport
from debtkit_getbill.api import ResourceApi, segment
from debtkit_getbill.models import Vocabulary, renamed, structure, vocabulary
from debtkit_getbill.options import PROVIDER

__all__ = [
    "WRITABLE_FIELDS",
    "Followup",
    "FollowupDirection",
    "FollowupStatus",
    "FollowupType",
    "Followups",
]

SUBJECT = "GetBill followup"
READ_SCOPE = "followups:read"
WRITE_SCOPE = "followups:write"
WRITABLE_FIELDS = frozenset(
    {
        "type", "status", "call_date", "scheduled_at", "summary", "notes", "call_id",
        "audio_url", "duration_ms", "phone_number_used", "direction",
        "disconnection_reason", "is_retry",
    }
)  # fmt: skip


class FollowupType(Vocabulary):
    CALL = "call"
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    VOICEMAIL = "voicemail"
    MANUAL_CALL = "manual_call"
    PHYSICAL = "physical"
    POSTMAIL = "postmail"
    UNKNOWN = "unknown"


class FollowupStatus(Vocabulary):
    ON_HOLD = "on_hold"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    SENT = "sent"
    DELIVERED = "delivered"
    DEAL_FOUND = "deal_found"
    NO_ANSWER = "no_answer"
    DEAL_NOT_FOUND = "deal_not_found"
    BAD_BEHAVIOR = "bad_behavior"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class FollowupDirection(Vocabulary):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    UNKNOWN = "unknown"


@renamed(type_raw="type", status_raw="status", direction_raw="direction")
@attrs.frozen
class Followup:
    """One followup. Media URLs are presigned and expire (``media_urls_expire_at``)."""

    id: str
    debt_id: str | None = None
    type_raw: str | None = None
    status_raw: str | None = None
    direction_raw: str | None = None
    call_date: dt.datetime | None = None
    scheduled_at: dt.datetime | None = None
    processed_at: dt.datetime | None = None
    summary: str | None = attrs.field(default=None, repr=False)  # may name the debtor
    notes: str | None = attrs.field(default=None, repr=False)
    call_id: str | None = None
    audio_url: str | None = attrs.field(default=None, repr=False)  # presigned
    pdf_url: str | None = attrs.field(default=None, repr=False)  # presigned
    duration_ms: int | None = None
    disconnection_reason: str | None = None
    phone_number_used: str | None = attrs.field(default=None, repr=False)
    is_retry: bool | None = None
    triggered_payment: bool | None = None
    email_opened: bool | None = None
    email_open_count: int | None = None
    email_first_opened_at: dt.datetime | None = None
    email_clicked: bool | None = None
    email_click_count: int | None = None
    media_urls_expire_at: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def type(self) -> FollowupType | None:
        return vocabulary(FollowupType, self.type_raw)

    @property
    def status(self) -> FollowupStatus | None:
        return vocabulary(FollowupStatus, self.status_raw)

    @property
    def direction(self) -> FollowupDirection | None:
        return vocabulary(FollowupDirection, self.direction_raw)


_TIMES = frozenset({"call_date", "scheduled_at"})


def _wire(name: str, value: Any) -> Any:
    """A field's JSON value; `ConfigurationError` for a value of the wrong kind."""
    if value is None:
        return None
    if isinstance(value, Vocabulary):
        if value.value == "unknown":
            raise ConfigurationError(f"followup {name}: UNKNOWN is not a value to send")
        return value.value
    if name in _TIMES and isinstance(value, dt.datetime):
        if value.tzinfo is None:  # GetBill takes ISO-8601; a naive time names no instant
            raise ConfigurationError(f"followup {name} must be timezone-aware")
        return value.isoformat()
    if name == "duration_ms":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigurationError("followup duration_ms must be an int")
        return value
    if name == "is_retry":
        if not isinstance(value, bool):
            raise ConfigurationError("followup is_retry must be a bool")
        return value
    if not isinstance(value, str):
        raise ConfigurationError(f"followup {name} must be a string")
    return value


def _body(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - WRITABLE_FIELDS
    if unknown:
        raise ConfigurationError(
            f"unknown followup field(s) {sorted(unknown)}; known: {sorted(WRITABLE_FIELDS)}"
        )
    return {name: _wire(name, value) for name, value in fields.items()}


class Followups:
    """``client.followups``."""

    def __init__(self, transport: Transport) -> None:
        self._read = ResourceApi(transport, READ_SCOPE)
        fields = {name: name for name in (*WRITABLE_FIELDS, "debt_id")}
        self._write = ResourceApi(transport, WRITE_SCOPE, fields)

    def list(
        self,
        *,
        status: FollowupStatus | str | None = None,
        type: FollowupType | str | None = None,
        **criteria: str,
    ) -> AsyncIterator[Followup]:
        """Every followup of the company matching the filters, each once."""
        params: dict[str, str] = {}
        for name, value in {**criteria, "status": status, "type": type}.items():
            if isinstance(value, (dt.date, dt.datetime)):
                value = value.isoformat()
            if value is not None:
                params[name] = _wire(name, value)
        return self._read.pages("followups", _followup, params, key=_key)

    async def get(self, followup_id: str) -> Followup:
        response = await self._read.get(f"followups/{segment(followup_id)}")
        return self._read.one(response, Followup, SUBJECT)

    def by_debt(self, debt_id: str) -> AsyncIterator[Followup]:
        """Every followup of one debt, each once."""
        return self._read.pages(f"followups/debt/{segment(debt_id)}", _followup, key=_key)

    async def create(self, debt_id: str, **fields: Any) -> Followup:
        """Log a followup on `debt_id`; fields as in `WRITABLE_FIELDS`."""
        if not isinstance(debt_id, str) or not debt_id.strip():
            raise ConfigurationError("a followup needs the debt_id of its debt")
        body = {"debt_id": debt_id, **_body(fields)}
        try:
            response = await self._write.write("POST", "followups", body)
        except DebtkitError as error:
            if is_ambiguous(error):
                reason = f"followup create got no usable answer ({type(error).__name__})"
                raise AmbiguousWriteError(PROVIDER, [debt_id], reason) from None
            raise
        return self._write.one(response, Followup, SUBJECT)

    async def update(self, followup_id: str, **fields: Any) -> Followup:
        """Change the given fields (all optional); a followup's debt cannot change."""
        if "debt_id" in fields:
            raise ConfigurationError("a followup's debt_id cannot change (GetBill)")
        path = f"followups/{segment(followup_id)}"
        response = await self._write.write("PUT", path, _body(fields))
        return self._write.one(response, Followup, SUBJECT)


def _followup(record: Any) -> Followup:
    return structure(record, Followup, SUBJECT)


def _key(followup: Followup) -> str:
    return followup.id
