"""The aiohttp webhook receiver: verify, drop duplicates, hand each new event on once."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from debtkit.errors import ConfigurationError, WebhookSignatureError
from debtkit.events import CaseEvent, EventType, MemorySeenStore, webhook_app
from debtkit.events.webhooks import json_object

SECRET = "s3cret"


def toy_parse(body: bytes, headers: Mapping[str, str], secret: str) -> CaseEvent:
    """A stand-in provider: the signature is the secret itself; the body names the event."""
    if secret == "broken":
        raise ConfigurationError("bad secret")
    if headers.get("X-Sig") != secret:
        raise WebhookSignatureError("toy", "signature_mismatch")
    payload = json_object(body, subject="toy webhook")
    return CaseEvent(str(payload["id"]), "toy", EventType.UNKNOWN, "toy.event", None, raw=payload)


class Recorder:
    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.events: list[CaseEvent] = []
        self.failures = failures
        self.delay = delay

    async def __call__(self, event: CaseEvent) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("handler down")
        self.events.append(event)


@pytest.fixture
async def make_client() -> AsyncIterator[Any]:
    clients: list[TestClient[Any, Any]] = []

    async def make(on_event: Any, **options: Any) -> TestClient[Any, Any]:
        secret = options.pop("secret", SECRET)
        client = TestClient(TestServer(webhook_app(toy_parse, secret, on_event, **options)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def body(event_id: str, note: str = "") -> bytes:
    return json.dumps({"id": event_id, "note": note}).encode()


async def test_a_verified_new_event_reaches_the_handler_and_gets_200(make_client: Any) -> None:
    handler = Recorder()
    client = await make_client(handler)
    response = await client.post("/", data=body("e1"), headers={"X-Sig": SECRET})
    assert response.status == 200
    assert [e.event_id for e in handler.events] == ["e1"]


async def test_a_redelivered_event_reaches_the_handler_once(make_client: Any) -> None:
    handler = Recorder()
    client = await make_client(handler)
    for _ in range(3):
        response = await client.post("/", data=body("e1"), headers={"X-Sig": SECRET})
        assert response.status == 200
    assert len(handler.events) == 1


async def test_concurrent_redeliveries_reach_the_handler_once(make_client: Any) -> None:
    handler = Recorder(delay=0.05)
    client = await make_client(handler)
    responses = await asyncio.gather(
        *(client.post("/", data=body("e1"), headers={"X-Sig": SECRET}) for _ in range(5))
    )
    assert {r.status for r in responses} == {200}
    assert len(handler.events) == 1


async def test_a_bad_signature_gets_401_and_is_logged_without_the_body(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Recorder()
    client = await make_client(handler)
    with caplog.at_level(logging.DEBUG, logger="debtkit"):
        response = await client.post(
            "/", data=body("e1", "Jane Debtor"), headers={"X-Sig": "forged"}
        )
    assert response.status == 401
    assert handler.events == []
    assert "signature_mismatch" in caplog.text
    assert "Jane Debtor" not in caplog.text


async def test_a_verified_body_that_is_not_an_object_gets_400(make_client: Any) -> None:
    client = await make_client(Recorder())
    response = await client.post("/", data=b"[1]", headers={"X-Sig": SECRET})
    assert response.status == 400


async def test_a_failing_handler_gets_500_and_the_redelivery_is_handled(
    make_client: Any,
) -> None:
    handler = Recorder(failures=1)
    client = await make_client(handler)
    first = await client.post("/", data=body("e1"), headers={"X-Sig": SECRET})
    second = await client.post("/", data=body("e1"), headers={"X-Sig": SECRET})
    assert (first.status, second.status) == (500, 200)
    assert len(handler.events) == 1


async def test_a_slow_handler_gets_503_and_is_not_marked_seen(make_client: Any) -> None:
    slow = Recorder(delay=5.0)
    seen = MemorySeenStore()
    client = await make_client(slow, handler_timeout=0.01, seen=seen)
    response = await client.post("/", data=body("e1"), headers={"X-Sig": SECRET})
    assert response.status == 503
    assert not await seen.contains("e1")


async def test_a_body_over_the_limit_gets_413(make_client: Any) -> None:
    handler = Recorder()
    client = await make_client(handler, max_body=100)
    response = await client.post("/", data=body("e1", "x" * 200), headers={"X-Sig": SECRET})
    assert response.status == 413
    assert handler.events == []


async def test_the_seen_store_is_pluggable(make_client: Any) -> None:
    seen = MemorySeenStore()
    await seen.add("e1")
    handler = Recorder()
    client = await make_client(handler, seen=seen)
    response = await client.post("/", data=body("e1"), headers={"X-Sig": SECRET})
    assert response.status == 200
    assert handler.events == []


async def test_a_receiver_misconfiguration_gets_500(make_client: Any) -> None:
    client = await make_client(Recorder(), secret="broken")
    response = await client.post("/", data=body("e1"), headers={"X-Sig": "broken"})
    assert response.status == 500


async def test_only_post_is_accepted(make_client: Any) -> None:
    client = await make_client(Recorder())
    response = await client.get("/")
    assert response.status == 405
