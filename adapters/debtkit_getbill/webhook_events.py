"""GetBill webhook deliveries: signature verification and the neutral `CaseEvent`.

Verification, as documented (fact sheet §7, "Webhooks integration" guide): the
``X-GetBill-Signature`` header holds the hex HMAC-SHA256 of the raw request body, keyed with
the webhook secret (its UTF-8 bytes), compared in constant time.

**Replay protection comes from deduplication.** GetBill signs no timestamp and sends no event
id, so a captured delivery stays valid forever and nothing in it tells two deliveries of one
event apart. The event id is therefore `delivery_digest` (SHA-256 of the exact body): a
redelivery of the same body gets the same id, and a receiver with a seen-store
(`debtkit.events.receiver`) handles it once. Keep the seen-store for as long as a replayed
delivery would do harm (a `SQLiteSeenStore` keeps ids across restarts).

Events (``{"type", "data", "changes"?}``) map onto the neutral vocabulary:

- ``debt.created`` -> CREATED; ``debt.status_changed`` -> STATUS_CHANGED with the previous
  and new status from ``changes.status`` (the new one from ``data.status`` when absent),
  mapped through `STATUS_MAP`; when the new status is a closed one (paid, partial, failed,
  refused, archived) the event is CLOSED instead, with the same statuses and the raw new
  status as `close_reason`, so a closing is one event, never two;
- ``payment.received`` -> PAYMENT_RECEIVED and ``payment.failed`` -> PAYMENT_REVERSED, with a
  `Payment` (exact `Decimal` amount);
- ``company.credits_low`` -> ACTION_REQUIRED (``action="credits_low"``; no case);
- anything else (``debt.updated``, whose status moves come as ``debt.status_changed``;
  ``followup.*``, GetBill's own collection steps; ``payment_plan.*``, whose effect arrives as
  the ``settled`` status; ``report.generated``; types added later) -> UNKNOWN, raw kept.

Fields are read best-effort; a missing or odd optional field never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from debtkit.errors import ConfigurationError, WebhookSignatureError
from debtkit.events.model import CaseEvent, EventType, Payment, delivery_digest
from debtkit.events.webhooks import (
    header,
    hmac_sha256_hex,
    json_object,
    matches_any,
    parse_timestamp,
    raw_body,
)
from debtkit.model import CaseStatus
from debtkit_getbill.options import PROVIDER
from debtkit_getbill.wire import STATUS_MAP

__all__ = ["SIGNATURE_HEADER", "event_from_payload", "parse_webhook", "verify_signature"]

SIGNATURE_HEADER = "X-GetBill-Signature"
_SHA256_HEX_LENGTH = 64


def verify_signature(body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """Raise `WebhookSignatureError` unless ``X-GetBill-Signature`` signs `body`."""
    if not isinstance(secret, str) or not secret:
        raise ConfigurationError("getbill: the webhook secret is empty")
    body = raw_body(body, subject="GetBill webhook")
    value = header(headers, SIGNATURE_HEADER)
    if value is None:
        raise WebhookSignatureError(PROVIDER, "missing_signature_header")
    given = value.strip()
    if len(given) != _SHA256_HEX_LENGTH or not all(c in "0123456789abcdefABCDEF" for c in given):
        raise WebhookSignatureError(PROVIDER, "malformed_signature_header")
    expected = hmac_sha256_hex(secret.encode("utf-8"), body)
    if not matches_any(expected, [given]):
        raise WebhookSignatureError(PROVIDER, "signature_mismatch")


def parse_webhook(
    body: bytes, headers: Mapping[str, str], secret: str, *, now: float | None = None
) -> CaseEvent:
    """Verify a delivery and translate it into a `CaseEvent`.

    `now` is accepted for the common signature and unused: GetBill signs no timestamp.
    A verified body that is not a JSON object raises `debtkit.ValidationError`.
    """
    body = raw_body(body, subject="GetBill webhook")
    verify_signature(body, headers, secret)
    payload = json_object(body, subject="GetBill webhook")
    return event_from_payload(payload, event_id=delivery_digest(PROVIDER, body))


def _text(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text or None


def _first(data: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        text = _text(data.get(name))
        if text is not None:
            return text
    return None


def _amount(data: Mapping[str, Any]) -> Decimal | None:
    for name in ("amount_text", "amount"):
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
            continue
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            continue
        if amount.is_finite():
            return amount
    return None


def _status(label: str | None) -> CaseStatus | None:
    return STATUS_MAP.get(label, CaseStatus.UNKNOWN) if label else None


def _status_change(payload: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[Any, Any]:
    changes = payload.get("changes")
    change = changes.get("status") if isinstance(changes, Mapping) else None
    if isinstance(change, Mapping):
        old = _first(change, "previous", "old", "from")
        new = _first(change, "new", "current", "to") or _first(data, "status")
        return old, new
    return None, _first(data, "status")


def _payment(data: Mapping[str, Any], case_id: str | None) -> Payment:
    return Payment(
        provider=PROVIDER,
        payment_id=_first(data, "id", "payment_id", "transaction_id") or "",
        case_id=case_id,
        amount=_amount(data),
        currency=_first(data, "currency"),
        date=parse_timestamp(data.get("paid_at") or data.get("date") or data.get("created_at")),
        method=_first(data, "method", "payment_method"),
        raw=data,
    )


def event_from_payload(payload: Mapping[str, Any], *, event_id: str) -> CaseEvent:
    """A GetBill webhook envelope as a `CaseEvent`; never raises for unknown types."""
    raw_type = _text(payload.get("type")) or ""
    data_value = payload.get("data")
    data: Mapping[str, Any] = data_value if isinstance(data_value, Mapping) else {}
    is_debt = raw_type.startswith("debt.")
    nested = data.get("debt")
    debt: Mapping[str, Any] = nested if isinstance(nested, Mapping) else {}
    case_id = _first(data, "id") if is_debt else (_first(data, "debt_id") or _first(debt, "id"))
    fields: dict[str, Any] = {
        "event_id": event_id,
        "provider": PROVIDER,
        "event_type": EventType.UNKNOWN,
        "raw_type": raw_type,
        "occurred_at": parse_timestamp(
            data.get("updated_at") or data.get("created_at") or data.get("import_date")
        ),
        "case_id": case_id,
        "creditor_reference": _first(data if is_debt else debt, "internal_id"),
        "raw": payload,
    }
    if raw_type == "debt.created":
        status = _first(data, "status")
        fields.update(
            event_type=EventType.CREATED, new_provider_status=status, new_status=_status(status)
        )
    elif raw_type == "debt.status_changed":
        old, new = _status_change(payload, data)
        new_status = _status(new)
        closed = new_status is not None and new_status.is_closed
        fields.update(
            event_type=EventType.CLOSED if closed else EventType.STATUS_CHANGED,
            old_provider_status=old,
            new_provider_status=new,
            old_status=_status(old),
            new_status=new_status,
            close_reason=new if closed else None,
        )
    elif raw_type in ("payment.received", "payment.failed"):
        received = raw_type == "payment.received"
        fields.update(
            event_type=EventType.PAYMENT_RECEIVED if received else EventType.PAYMENT_REVERSED,
            payment=_payment(data, case_id),
        )
    elif raw_type == "company.credits_low":
        fields.update(event_type=EventType.ACTION_REQUIRED, action="credits_low", case_id=None)
    return CaseEvent(**fields)
