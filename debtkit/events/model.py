"""The neutral event vocabulary: what happened to a case, whichever provider said so.

A `CaseEvent` comes from a verified webhook delivery or from a sync that compared the
provider's current state with a snapshot. Its `event_type` is a closed vocabulary; a provider
event debtkit does not know becomes `EventType.UNKNOWN` with its raw type and payload kept, so
nothing a provider says is ever dropped or turned into an error.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from debtkit.model import CaseStatus

__all__ = ["CaseEvent", "EventType", "Payment", "delivery_digest"]


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value) if value else {}


class EventType(str, enum.Enum):
    CREATED = "created"  # the provider holds a new case
    STATUS_CHANGED = "status_changed"  # old and new status on the event
    PAYMENT_RECEIVED = "payment_received"
    PAYMENT_REVERSED = "payment_reversed"  # a payment deleted, failed or refunded
    CLOSED = "closed"  # with the provider's close reason
    ACTION_REQUIRED = "action_required"  # the provider needs the creditor: what and where
    MESSAGE_RECEIVED = "message_received"
    UNKNOWN = "unknown"  # a type debtkit does not know: `raw_type` and `raw` keep it all


@attrs.frozen
class Payment:
    """Money recorded against a case; `amount` is exact, paired with its ISO 4217 currency."""

    provider: str
    payment_id: str
    case_id: str | None
    amount: Decimal | None
    currency: str | None
    date: dt.date | dt.datetime | None = None
    method: str | None = None
    raw: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_mapping, repr=False, hash=False
    )


@attrs.frozen
class CaseEvent:
    """One thing that happened to one case.

    `event_id` is the provider's event id, or a stable digest of the delivery where the
    provider gives none (`delivery_digest`), so the same delivery always gets the same id and
    can be deduplicated. Fields that do not apply to an event type stay None.
    """

    event_id: str
    provider: str
    event_type: EventType
    raw_type: str  # the provider's own name for the event ("case.updated", "debt.status_changed")
    occurred_at: dt.datetime | None
    case_id: str | None = None  # the provider's id of the case
    creditor_reference: str | None = None
    old_status: CaseStatus | None = None
    new_status: CaseStatus | None = None
    old_provider_status: str | None = None
    new_provider_status: str | None = None
    close_reason: str | None = None
    payment: Payment | None = None
    action: str | None = None  # what the provider needs, for ACTION_REQUIRED
    solution_url: str | None = None
    message: str | None = attrs.field(default=None, repr=False)  # free text: personal data
    test: bool = False  # a provider test delivery or a test case
    raw: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_mapping, repr=False, hash=False
    )


def delivery_digest(provider: str, body: bytes) -> str:
    """A stable event id for a provider that sends none: the SHA-256 of the exact body."""
    return f"{provider}:sha256:{hashlib.sha256(body).hexdigest()}"
