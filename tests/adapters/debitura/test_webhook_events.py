"""Debitura webhook verification and event mapping.

Signed deliveries are built here from the documented algorithm (fact sheet §12) with hmac,
hashlib and base64 directly, never with debtkit's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest
from debtkit_debitura import DebituraAdapter

from debtkit.errors import ConfigurationError, ValidationError, WebhookSignatureError
from debtkit.events import EventType
from debtkit.model import CaseStatus

SECRET = base64.b64encode(b"debitura-webhook-secret-32-bytes").decode()
NOW = 1_765_000_000


def sign(body: bytes, secret: str = SECRET, t: int = NOW) -> str:
    key = base64.b64decode(secret)
    digest = hmac.new(key, str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def delivery(event: str, data: dict[str, Any], **envelope: Any) -> bytes:
    payload = {"id": "evt_abc123", "specVersion": "1.0", "event": event}
    payload.update(timestamp="2024-01-15T10:30:00Z", data=data, **envelope)
    return json.dumps(payload).encode()


BODY = delivery(
    "case.created",
    {
        "caseId": "3f1e2d4c-0000-4000-8000-000000000001",
        "reference": "Q8OAXF3W",
        "creditorReference": "INV-001",
        "status": "Active",
        "amount": 1000.00,
        "currency": "EUR",
        "debtorName": "Debtor Company Ltd",
    },
)


def parse(body: bytes, headers: dict[str, str], secret: str = SECRET, **kw: Any) -> Any:
    return DebituraAdapter().parse_webhook(body, headers, secret, now=kw.pop("now", NOW), **kw)


def test_accepts_a_delivery_signed_as_documented() -> None:
    event = parse(BODY, {"X-Debitura-Signature": sign(BODY)})
    assert event.event_id == "evt_abc123"
    assert event.event_type is EventType.CREATED
    assert event.case_id == "3f1e2d4c-0000-4000-8000-000000000001"
    assert event.creditor_reference == "INV-001"
    assert event.new_status is CaseStatus.IN_PROGRESS
    assert event.raw["data"]["debtorName"] == "Debtor Company Ltd"


def test_header_name_is_matched_case_insensitively() -> None:
    event = parse(BODY, {"x-debitura-signature": sign(BODY)})
    assert event.event_id == "evt_abc123"


def test_accepts_when_any_of_several_v1_signatures_matches() -> None:
    other = base64.b64encode(b"the-old-secret-before-rotation!!").decode()
    old = sign(BODY, other).split("v1=")[1]
    header = f"t={NOW},v1={old},v1={sign(BODY).split('v1=')[1]}"
    assert parse(BODY, {"X-Debitura-Signature": header}).event_id == "evt_abc123"


def test_refuses_a_tampered_body() -> None:
    tampered = BODY.replace(b"1000.0", b"9000.0")
    with pytest.raises(WebhookSignatureError) as caught:
        parse(tampered, {"X-Debitura-Signature": sign(BODY)})
    assert caught.value.reason == "signature_mismatch"


def test_refuses_a_wrong_secret() -> None:
    wrong = base64.b64encode(b"another-secret-entirely-32-bytes").decode()
    with pytest.raises(WebhookSignatureError):
        parse(BODY, {"X-Debitura-Signature": sign(BODY, wrong)})


def test_refuses_a_missing_header() -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        parse(BODY, {"X-Debitura-Event": "case.created"})
    assert caught.value.reason == "missing_signature_header"


@pytest.mark.parametrize(
    "header",
    ["", "garbage", "t=abc,v1=00", "v1=00", f"t={NOW}", f"t={NOW},t={NOW},v1=00", "t=-5,v1=0"],
)
def test_refuses_a_malformed_header(header: str) -> None:
    with pytest.raises(WebhookSignatureError):
        parse(BODY, {"X-Debitura-Signature": header})


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_refuses_a_timestamp_outside_the_tolerance(offset: int) -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        parse(BODY, {"X-Debitura-Signature": sign(BODY)}, now=NOW + offset)
    assert caught.value.reason == "timestamp_outside_tolerance"


def test_accepts_a_timestamp_at_the_edge_of_the_tolerance() -> None:
    assert parse(BODY, {"X-Debitura-Signature": sign(BODY)}, now=NOW - 300).event_id


def test_tolerance_is_configurable() -> None:
    headers = {"X-Debitura-Signature": sign(BODY)}
    assert parse(BODY, headers, now=NOW + 500, tolerance=600).event_id
    with pytest.raises(WebhookSignatureError):
        parse(BODY, headers, now=NOW + 20, tolerance=10)


def test_refusal_message_never_contains_the_body_or_secret() -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        parse(BODY, {"X-Debitura-Signature": sign(BODY, t=NOW - 1000)})
    assert "Debtor Company" not in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_secret_that_is_not_base64_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        parse(BODY, {"X-Debitura-Signature": sign(BODY)}, secret="not base64 at all!")


def test_a_verified_body_that_is_not_a_json_object_is_a_validation_error() -> None:
    for body in (b"[1, 2]", b"not json", b"\xff\xfe"):
        with pytest.raises(ValidationError):
            parse(body, {"X-Debitura-Signature": sign(body)})


def test_case_updated_carries_old_and_new_lifecycle() -> None:
    body = delivery(
        "case.updated", {"caseId": "c1", "oldLifecycle": "Active", "newLifecycle": "Paused"}
    )
    event = parse(body, {"X-Debitura-Signature": sign(body)})
    assert event.event_type is EventType.STATUS_CHANGED
    assert (event.old_provider_status, event.new_provider_status) == ("Active", "Paused")
    assert (event.old_status, event.new_status) == (CaseStatus.IN_PROGRESS, CaseStatus.ON_HOLD)


def test_case_closed_carries_the_close_code() -> None:
    body = delivery("case.closed", {"caseId": "c1", "closeCode": "Paid", "closeComment": "ok"})
    event = parse(body, {"X-Debitura-Signature": sign(body)})
    assert event.event_type is EventType.CLOSED
    assert event.close_reason == "Paid"
    assert event.new_status is CaseStatus.PAID


def test_payment_created_carries_an_exact_amount() -> None:
    data = {"caseId": "c1", "paymentId": "p1", "grossAmount": 125.10, "currency": "EUR"}
    body = delivery("payment.created", data)
    event = parse(body, {"X-Debitura-Signature": sign(body)})
    assert event.event_type is EventType.PAYMENT_RECEIVED
    assert event.payment.amount == Decimal("125.10")
    assert (event.payment.payment_id, event.payment.case_id) == ("p1", "c1")


def test_payment_deleted_is_a_reversal() -> None:
    body = delivery("payment.deleted", {"caseId": "c1", "id": "p1"})
    event = parse(body, {"X-Debitura-Signature": sign(body)})
    assert event.event_type is EventType.PAYMENT_REVERSED
    assert event.case_id == "c1"
    assert event.payment.payment_id == "p1"


def test_chat_created_is_a_message() -> None:
    body = delivery("chat.created", {"caseId": "c1", "message": "Please call me"})
    event = parse(body, {"X-Debitura-Signature": sign(body)})
    assert event.event_type is EventType.MESSAGE_RECEIVED
    assert event.message == "Please call me"
    assert "Please call me" not in repr(event)


def test_an_unknown_event_type_is_kept_as_unknown() -> None:
    body = delivery("case.phase_changed", {"caseId": "c1", "phase": "Legal"})
    event = parse(body, {"X-Debitura-Signature": sign(body)})
    assert event.event_type is EventType.UNKNOWN
    assert event.raw_type == "case.phase_changed"
    assert event.raw["data"]["phase"] == "Legal"


def test_missing_optional_fields_never_raise() -> None:
    for payload in ({}, {"event": "case.updated"}, {"event": "payment.created", "data": []}):
        body = json.dumps(payload).encode()
        event = parse(body, {"X-Debitura-Signature": sign(body)})
        assert event.event_id.startswith("debitura:sha256:")


def test_test_classification_marks_a_test_event() -> None:
    body = delivery("case.created", {"caseId": "c1", "classification": "test"})
    assert parse(body, {"X-Debitura-Signature": sign(body)}).test is True


def test_test_header_marks_a_test_event() -> None:
    headers = {"X-Debitura-Signature": sign(BODY), "x-debitura-test": "true"}
    assert parse(BODY, headers).test is True
    assert parse(BODY, {"X-Debitura-Signature": sign(BODY)}).test is False


def test_case_updated_to_closed_uses_a_close_code_when_one_rides_along() -> None:
    data = {"caseId": "c1", "oldLifecycle": "Active", "newLifecycle": "Closed", "closeCode": "Paid"}
    body = delivery("case.updated", data)
    assert parse(body, {"X-Debitura-Signature": sign(body)}).new_status is CaseStatus.PAID


def test_the_timestamp_is_signed_exactly_as_sent() -> None:
    digest = hmac.new(base64.b64decode(SECRET), f"00{NOW}.".encode() + BODY, hashlib.sha256)
    header = f"t=00{NOW},v1={digest.hexdigest()}"
    assert parse(BODY, {"X-Debitura-Signature": header}).event_id == "evt_abc123"


def test_an_absurdly_long_timestamp_is_a_malformed_header() -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        parse(BODY, {"X-Debitura-Signature": f"t={'9' * 400},v1={'0' * 64}"})
    assert caught.value.reason == "malformed_signature_header"
