"""Debitura webhook deliveries: signature verification and the neutral `CaseEvent`.

Verification, as documented (fact sheet §12; OpenAPI ``POST /webhooks``):

1. ``X-Debitura-Signature: t=<unix>,v1=<hex>`` gives the timestamp and one or more ``v1``
   signatures (several while a secret rotates; any match is enough);
2. the signed message is the bytes of ``t``, a ``.``, then the raw body exactly as received;
3. the key is the base64-decoded subscription secret (documented as base64 and nothing else,
   so no prefix is stripped; a secret that is not base64 is a `ConfigurationError`);
4. HMAC-SHA256 as lowercase hex, compared in constant time with each ``v1``;
5. refused when ``|now - t|`` exceeds the tolerance (300 s by default). That is symmetric:
   a timestamp from the future is as suspicious as an old one. ``X-Debitura-Timestamp`` is not
   signed, so only ``t`` counts.

Event data is not schematised by Debitura, so every field is read best-effort and never
required: the envelope ``id`` is the event id (a digest of the body when absent), and an
event type debtkit does not know becomes `EventType.UNKNOWN` with the payload kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
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
from debtkit_debitura.mapping import PROVIDER, case_status

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "event_from_payload",
    "parse_webhook",
    "signature_key",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Debitura-Signature"
TEST_HEADER = "X-Debitura-Test"
DEFAULT_TOLERANCE = 300.0
_MAX_HEADER = 4096  # a signature header longer than this is not Debitura's
_SECONDS = re.compile(r"[0-9]{1,15}")


def signature_key(secret: str) -> bytes:
    """The HMAC key: the base64-decoded subscription secret."""
    text = secret.strip() if isinstance(secret, str) else ""
    if not text:
        raise ConfigurationError("debitura: the webhook secret is empty")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            "debitura: the webhook secret is not base64, as Debitura issues it"
        ) from None
    if not key:
        raise ConfigurationError("debitura: the webhook secret decodes to nothing")
    return key


def _parse_header(value: str) -> tuple[str, list[str]]:
    if len(value) > _MAX_HEADER:
        raise WebhookSignatureError(PROVIDER, "malformed_signature_header")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in value.split(","):
        name, sep, item = part.strip().partition("=")
        if not sep:
            raise WebhookSignatureError(PROVIDER, "malformed_signature_header")
        name, item = name.strip(), item.strip()
        if name == "t":
            timestamps.append(item)
        elif name == "v1":
            signatures.append(item)
        # other schemes (v0, a future v2) are ignored, as the documented algorithm is v1
    # Unix seconds have 10 digits until 2286; more than 15 is not a time (and overflows a float).
    if len(timestamps) != 1 or not _SECONDS.fullmatch(timestamps[0]):
        raise WebhookSignatureError(PROVIDER, "malformed_signature_header")
    if not signatures:
        raise WebhookSignatureError(PROVIDER, "no_v1_signature")
    return timestamps[0], signatures


def verify_signature(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    *,
    now: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> int:
    """Check a delivery's signature and age; the signed timestamp ``t`` on success.

    Raises `WebhookSignatureError` (missing or malformed header, no matching signature,
    timestamp outside `tolerance`), or `ConfigurationError` for a secret that is not base64.
    """
    key = signature_key(secret)
    body = raw_body(body, subject="Debitura webhook")
    value = header(headers, SIGNATURE_HEADER)
    if value is None:
        raise WebhookSignatureError(PROVIDER, "missing_signature_header")
    signed_t, signatures = _parse_header(value)
    # The message uses ``t`` exactly as sent, so leading zeros stay what was signed.
    expected = hmac_sha256_hex(key, signed_t.encode("ascii") + b"." + body)
    if not matches_any(expected, signatures):
        raise WebhookSignatureError(PROVIDER, "signature_mismatch")
    timestamp = int(signed_t)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureError(PROVIDER, "timestamp_outside_tolerance")
    return timestamp


def parse_webhook(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    *,
    now: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> CaseEvent:
    """Verify a delivery and translate it into a `CaseEvent`.

    A verified body that is not a JSON object raises `debtkit.ValidationError`.
    """
    body = raw_body(body, subject="Debitura webhook")
    verify_signature(body, headers, secret, now=now, tolerance=tolerance)
    payload = json_object(body, subject="Debitura webhook")
    test = (header(headers, TEST_HEADER) or "").strip().lower() == "true"
    return event_from_payload(payload, event_id=delivery_digest(PROVIDER, body), test=test)


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int)):
        text = str(value).strip()
        return text or None
    return None


def _first(data: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        text = _text(data.get(name))
        if text is not None:
            return text
    return None


def _amount(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _status(label: str | None, close_code: str | None = None) -> CaseStatus | None:
    return case_status(label, close_code) if label else None


def _payment(data: Mapping[str, Any], case_id: str | None) -> Payment:
    nested = data.get("payment")
    source: Mapping[str, Any] = nested if isinstance(nested, Mapping) else data
    return Payment(
        provider=PROVIDER,
        payment_id=_first(source, "paymentId", "id") or "",
        case_id=case_id,
        amount=_amount(source.get("grossAmount", source.get("amount"))),
        currency=_first(source, "currency", "currencyCode"),
        date=parse_timestamp(source.get("date")),
        method=_first(source, "method"),
        raw=source,
    )


def _payload_digest(payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return delivery_digest(PROVIDER, canonical.encode("utf-8"))


def event_from_payload(
    payload: Mapping[str, Any], *, event_id: str | None = None, test: bool = False
) -> CaseEvent:
    """A Debitura event envelope (``{id, event, timestamp, data}``) as a `CaseEvent`.

    Also serves the event log, whose ``payload`` is the same envelope. `event_id` is used
    only when the envelope has no ``id``. Never raises for unknown types or missing fields.
    """
    raw_type = _text(payload.get("event")) or ""
    data_value = payload.get("data")
    data: Mapping[str, Any] = data_value if isinstance(data_value, Mapping) else {}
    # Only case events may carry the case id as ``id``; elsewhere ``id`` is the payment's.
    case_id = (
        _first(data, "caseId", "id") if raw_type.startswith("case.") else _first(data, "caseId")
    )
    classification = _text(data.get("classification")) or _text(payload.get("classification"))
    fields: dict[str, Any] = {
        "event_id": _text(payload.get("id")) or event_id or _payload_digest(payload),
        "provider": PROVIDER,
        "event_type": EventType.UNKNOWN,
        "raw_type": raw_type,
        "occurred_at": parse_timestamp(payload.get("timestamp")),
        "case_id": case_id,
        "creditor_reference": _first(data, "creditorReference"),
        "test": test or data.get("isTestCase") is True or (classification or "") == "test",
        "raw": payload,
    }
    if raw_type == "case.created":
        label = _first(data, "lifecycle", "status")
        fields.update(
            event_type=EventType.CREATED, new_provider_status=label, new_status=_status(label)
        )
    elif raw_type == "case.updated":
        old = _first(data, "oldLifecycle", "previousLifecycle", "oldStatus")
        new = _first(data, "newLifecycle", "lifecycle", "newStatus", "status")
        # A move to Closed names no outcome unless a close code rides along; the
        # case.closed event that follows carries it (test advance: updated, then closed).
        fields.update(
            event_type=EventType.STATUS_CHANGED,
            old_provider_status=old,
            new_provider_status=new,
            old_status=_status(old),
            new_status=_status(new, _first(data, "closeCode")),
        )
    elif raw_type == "case.closed":
        code = _first(data, "closeCode")
        fields.update(
            event_type=EventType.CLOSED,
            close_reason=code,
            new_provider_status=f"Closed:{code}" if code else "Closed",
            new_status=case_status("Closed", code),
        )
    elif raw_type in ("payment.created", "payment.deleted"):
        received = raw_type == "payment.created"
        fields.update(
            event_type=EventType.PAYMENT_RECEIVED if received else EventType.PAYMENT_REVERSED,
            payment=_payment(data, case_id),
        )
    elif raw_type == "chat.created":
        chat = data.get("chat")
        source = chat if isinstance(chat, Mapping) else data
        fields.update(event_type=EventType.MESSAGE_RECEIVED, message=_first(source, "message"))
    return CaseEvent(**fields)
