"""The Debitura verifier behind debtkit's aiohttp receiver."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time

from aiohttp.test_utils import TestClient, TestServer
from debtkit_debitura import DebituraAdapter

from debtkit.events import CaseEvent, EventType, webhook_app

SECRET = base64.b64encode(b"receiver-test-secret-of-32-bytes").decode()


def signed(body: bytes, t: int) -> dict[str, str]:
    digest = hmac.new(base64.b64decode(SECRET), f"{t}.".encode() + body, hashlib.sha256)
    return {"X-Debitura-Signature": f"t={t},v1={digest.hexdigest()}", "X-Debitura-Event": "x"}


async def test_debitura_deliveries_are_verified_and_deduplicated_by_event_id() -> None:
    received: list[CaseEvent] = []

    async def on_event(event: CaseEvent) -> None:
        received.append(event)

    app = webhook_app(DebituraAdapter(), SECRET, on_event)
    body = json.dumps(
        {"id": "evt_1", "event": "case.closed", "data": {"caseId": "c1", "closeCode": "Paid"}}
    ).encode()
    async with TestClient(TestServer(app)) as client:
        now = int(time.time())
        first = await client.post("/", data=body, headers=signed(body, now))
        # A redelivery is signed anew (another t) but carries the same event id.
        again = await client.post("/", data=body, headers=signed(body, now + 1))
        forged = await client.post("/", data=body + b" ", headers=signed(body, now))
    assert (first.status, again.status, forged.status) == (200, 200, 401)
    assert [(e.event_id, e.event_type) for e in received] == [("evt_1", EventType.CLOSED)]


async def test_debitura_receiver_refuses_a_stale_delivery_with_an_injected_clock() -> None:
    received: list[CaseEvent] = []

    async def on_event(event: CaseEvent) -> None:
        received.append(event)

    parse = functools.partial(DebituraAdapter().parse_webhook, now=2_000_000_000.0)
    app = webhook_app(parse, SECRET, on_event, path="/hooks/debitura")
    body = b'{"id": "evt_2", "event": "case.created", "data": {}}'
    async with TestClient(TestServer(app)) as client:
        stale = await client.post("/hooks/debitura", data=body, headers=signed(body, 1_999_999_000))
        fresh = await client.post("/hooks/debitura", data=body, headers=signed(body, 2_000_000_000))
    assert (stale.status, fresh.status) == (401, 200)
    assert [e.event_id for e in received] == ["evt_2"]
