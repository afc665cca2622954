"""Hostile webhook deliveries: whatever the bytes and headers, both verifiers answer with an
event or a debtkit error, and nothing unsigned gets through."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from debtkit_debitura import DebituraAdapter
from debtkit_getbill import GetBillAdapter
from hypothesis import given, settings
from hypothesis import strategies as st

from debtkit.errors import DebtkitError, ValidationError, WebhookSignatureError
from debtkit.events import CaseEvent

GETBILL_SECRET = "adversarial-getbill"
DEBITURA_SECRET = base64.b64encode(b"adversarial-debitura-secret-key!").decode()
NOW = 1_800_000_000

header_names = st.sampled_from(
    ["X-GetBill-Signature", "x-debitura-signature", "X-DEBITURA-SIGNATURE", "X-Other"]
)
header_values = st.one_of(
    st.text(max_size=200),
    st.builds(lambda t, v: f"t={t},v1={v}", st.integers(-10, 2 * NOW), st.text(max_size=70)),
    st.builds(lambda t: f"t={t},v1={'0' * 64}", st.text(alphabet="0123456789", max_size=500)),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
event_names = st.sampled_from(
    ["case.created", "case.updated", "case.closed", "payment.created", "payment.deleted",
     "chat.created", "debt.created", "debt.status_changed", "payment.received",
     "payment.failed", "company.credits_low", "followup.failed", "???"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), headers=st.dictionaries(header_names, header_values))
def test_unsigned_deliveries_are_refused_with_a_signature_error(
    body: bytes, headers: dict[str, str]
) -> None:
    for adapter, secret in (
        (GetBillAdapter(), GETBILL_SECRET),
        (DebituraAdapter(), DEBITURA_SECRET),
    ):
        try:
            adapter.parse_webhook(body, headers, secret, now=NOW)
        except WebhookSignatureError:
            continue
        raise AssertionError("a delivery without a valid signature was accepted")


def _signed_debitura(body: bytes) -> dict[str, str]:
    key = base64.b64decode(DEBITURA_SECRET)
    digest = hmac.new(key, f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Debitura-Signature": f"t={NOW},v1={digest}"}


def _signed_getbill(body: bytes) -> dict[str, str]:
    return {
        "X-GetBill-Signature": hmac.new(GETBILL_SECRET.encode(), body, hashlib.sha256).hexdigest()
    }


@settings(max_examples=300, deadline=None)
@given(
    kind=event_names,
    data=json_values,
    extra=st.dictionaries(
        st.sampled_from(["id", "timestamp", "changes", "event", "type"]), json_values
    ),
)
def test_signed_payloads_of_any_shape_become_events_never_crashes(
    kind: str, data: Any, extra: dict[str, Any]
) -> None:
    payload = {"event": kind, "type": kind, "data": data, **extra}
    body = json.dumps(payload).encode()
    for adapter, secret, headers in (
        (GetBillAdapter(), GETBILL_SECRET, _signed_getbill(body)),
        (DebituraAdapter(), DEBITURA_SECRET, _signed_debitura(body)),
    ):
        event = adapter.parse_webhook(body, headers, secret, now=NOW)
        assert isinstance(event, CaseEvent)
        assert event.event_id


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200))
def test_signed_bodies_that_are_not_objects_raise_only_validation_errors(body: bytes) -> None:
    for adapter, secret, headers in (
        (GetBillAdapter(), GETBILL_SECRET, _signed_getbill(body)),
        (DebituraAdapter(), DEBITURA_SECRET, _signed_debitura(body)),
    ):
        try:
            adapter.parse_webhook(body, headers, secret, now=NOW)
        except ValidationError:
            pass
        except DebtkitError as exc:  # pragma: no cover - the assertion explains
            raise AssertionError(f"unexpected {type(exc).__name__}") from exc


class DuckHeaders:
    """Like werkzeug's Headers: get and items, but not a Mapping."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def get(self, name: str) -> str | None:
        return next((v for k, v in self._values.items() if k.lower() == name.lower()), None)

    def items(self) -> Any:
        return self._values.items()


def test_wrongly_typed_arguments_raise_only_debtkit_errors() -> None:
    body = b'{"type": "debt.created", "data": {}}'
    odd_calls: list[tuple[Any, Any, Any]] = [
        (body.decode(), _signed_getbill(body), GETBILL_SECRET),
        (None, _signed_getbill(body), GETBILL_SECRET),
        (body, None, GETBILL_SECRET),
        (body, ["X-GetBill-Signature"], GETBILL_SECRET),
        (body, _signed_getbill(body), None),
        (body, _signed_getbill(body), 42),
    ]
    for adapter in (GetBillAdapter(), DebituraAdapter()):
        for call in odd_calls:
            try:
                adapter.parse_webhook(*call, now=NOW)
            except DebtkitError:
                continue
            raise AssertionError(f"{adapter.name} accepted {call!r}")


def test_header_objects_that_are_not_mappings_still_work() -> None:
    body = b'{"type": "debt.created", "data": {"id": "d1"}}'
    headers = DuckHeaders({"x-getbill-signature": _signed_getbill(body)["X-GetBill-Signature"]})
    event = GetBillAdapter().parse_webhook(body, headers, GETBILL_SECRET)  # type: ignore[arg-type]
    assert event.case_id == "d1"


def test_a_memoryview_body_is_read_as_its_bytes() -> None:
    body = b'{"id": "evt_1", "event": "case.created", "data": {}}'
    event = DebituraAdapter().parse_webhook(
        memoryview(body),  # type: ignore[arg-type]
        _signed_debitura(body),
        DEBITURA_SECRET,
        now=NOW,
    )
    assert event.event_id == "evt_1"
