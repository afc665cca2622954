"""GetBill webhook verification and event mapping.

Signed deliveries are built here from the documented algorithm (fact sheet §7: hex
HMAC-SHA256 of the raw body keyed with the secret) with hmac and hashlib directly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest
from debtkit_getbill import GetBillAdapter

from debtkit.errors import ValidationError, WebhookSignatureError
from debtkit.events import EventType
from debtkit.model import CaseStatus

SECRET = "whsec-getbill-test"


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-GetBill-Signature": digest}


def delivery(kind: str, data: Any, **extra: Any) -> bytes:
    return json.dumps({"type": kind, "data": data, **extra}).encode()


DEBT = {
    "id": "enc_debt_1",
    "internal_id": "INV-001",
    "firstname": "Jane",
    "status": "status.default.pending",
    "amount": 1250.0,
    "currency": "EUR",
    "updated_at": "2024-01-15T10:30:00+00:00",
}
BODY = delivery("debt.created", DEBT)


def parse(body: bytes, headers: dict[str, str], secret: str = SECRET) -> Any:
    return GetBillAdapter().parse_webhook(body, headers, secret)


def test_accepts_a_delivery_signed_as_documented() -> None:
    event = parse(BODY, sign(BODY))
    assert event.event_type is EventType.CREATED
    assert (event.case_id, event.creditor_reference) == ("enc_debt_1", "INV-001")
    assert event.new_status is CaseStatus.PENDING
    assert event.occurred_at is not None


def test_header_name_is_matched_case_insensitively() -> None:
    headers = {"x-getbill-signature": sign(BODY)["X-GetBill-Signature"]}
    assert parse(BODY, headers).case_id == "enc_debt_1"


def test_uppercase_hex_is_accepted() -> None:
    headers = {"X-GetBill-Signature": sign(BODY)["X-GetBill-Signature"].upper()}
    assert parse(BODY, headers).case_id == "enc_debt_1"


def test_refuses_a_tampered_body() -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        parse(BODY.replace(b"1250.0", b"1.0"), sign(BODY))
    assert caught.value.reason == "signature_mismatch"


def test_refuses_a_wrong_secret() -> None:
    with pytest.raises(WebhookSignatureError):
        parse(BODY, sign(BODY, "another-secret"))


def test_refuses_a_missing_header() -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        parse(BODY, {"Content-Type": "application/json"})
    assert caught.value.reason == "missing_signature_header"


@pytest.mark.parametrize("value", ["", "zz" * 32, "abc", "sha256=" + "0" * 64, "é" * 64])
def test_refuses_a_malformed_header(value: str) -> None:
    with pytest.raises(WebhookSignatureError):
        parse(BODY, {"X-GetBill-Signature": value})


def test_the_event_id_is_a_digest_of_the_body_so_redeliveries_share_it() -> None:
    first = parse(BODY, sign(BODY))
    again = parse(BODY, sign(BODY))
    other_body = delivery("debt.created", {**DEBT, "id": "enc_debt_2"})
    other = parse(other_body, sign(other_body))
    assert first.event_id == again.event_id == "getbill:sha256:" + hashlib.sha256(BODY).hexdigest()
    assert other.event_id != first.event_id


def test_a_verified_body_that_is_not_a_json_object_is_a_validation_error() -> None:
    for body in (b'"text"', b"{not json", b"\xff"):
        with pytest.raises(ValidationError):
            parse(body, sign(body))


def test_status_changed_carries_previous_and_new_status() -> None:
    changes = {"status": {"previous": "status.default.pending", "new": "status.default.on_hold"}}
    body = delivery(
        "debt.status_changed", {**DEBT, "status": "status.default.on_hold"}, changes=changes
    )
    event = parse(body, sign(body))
    assert event.event_type is EventType.STATUS_CHANGED
    assert (event.old_status, event.new_status) == (CaseStatus.PENDING, CaseStatus.ON_HOLD)
    assert event.old_provider_status == "status.default.pending"


def test_a_change_to_a_closed_status_is_a_closed_event() -> None:
    changes = {"status": {"previous": "status.default.in_progress", "new": "status.default.paid"}}
    body = delivery(
        "debt.status_changed", {**DEBT, "status": "status.default.paid"}, changes=changes
    )
    event = parse(body, sign(body))
    assert event.event_type is EventType.CLOSED
    assert event.new_status is CaseStatus.PAID
    assert event.old_status is CaseStatus.IN_PROGRESS
    assert event.close_reason == "status.default.paid"


def test_status_changed_without_changes_takes_the_new_status_from_the_debt() -> None:
    body = delivery("debt.status_changed", {**DEBT, "status": "status.default.in_progress"})
    event = parse(body, sign(body))
    assert event.event_type is EventType.STATUS_CHANGED
    assert event.old_status is None
    assert event.new_status is CaseStatus.IN_PROGRESS


def test_a_custom_status_maps_to_unknown_keeping_the_label() -> None:
    body = delivery("debt.status_changed", {**DEBT, "status": "status.acme.lawyer"})
    event = parse(body, sign(body))
    assert event.new_status is CaseStatus.UNKNOWN
    assert event.new_provider_status == "status.acme.lawyer"


def test_payment_received_carries_an_exact_amount() -> None:
    data = {"id": "pay_1", "debt_id": "enc_debt_1", "amount": 99.95, "currency": "EUR"}
    body = delivery("payment.received", data)
    event = parse(body, sign(body))
    assert event.event_type is EventType.PAYMENT_RECEIVED
    assert event.case_id == "enc_debt_1"
    assert event.payment.amount == Decimal("99.95")
    assert event.payment.payment_id == "pay_1"


def test_payment_failed_is_a_reversal() -> None:
    body = delivery("payment.failed", {"debt_id": "enc_debt_1", "amount": "10.00"})
    event = parse(body, sign(body))
    assert event.event_type is EventType.PAYMENT_REVERSED
    assert event.payment.amount == Decimal("10.00")


def test_credits_low_is_an_action_required_without_a_case() -> None:
    body = delivery("company.credits_low", {"balance": 12})
    event = parse(body, sign(body))
    assert event.event_type is EventType.ACTION_REQUIRED
    assert event.action == "credits_low"
    assert event.case_id is None


@pytest.mark.parametrize(
    "kind",
    [
        "debt.updated",
        "followup.completed",
        "payment_plan.created",
        "report.generated",
        "debt.exploded",
    ],
)
def test_types_without_a_neutral_meaning_are_unknown_with_raw_kept(kind: str) -> None:
    body = delivery(kind, {"debt_id": "enc_debt_1", "extra": [1, 2]})
    event = parse(body, sign(body))
    assert event.event_type is EventType.UNKNOWN
    assert event.raw_type == kind
    assert event.raw["data"]["extra"] == [1, 2]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"type": None},
        {"type": "payment.received", "data": "x"},
        {"type": "debt.status_changed", "changes": []},
    ],
)
def test_missing_or_odd_optional_fields_never_raise(payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    assert parse(body, sign(body)).event_id.startswith("getbill:sha256:")
