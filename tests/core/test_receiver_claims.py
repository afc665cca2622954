"""The receiver claims an event before handing it on, so replicas sharing a store call the
handler once; while another replica holds the event the answer asks for a redelivery."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from debtkit.errors import ConfigurationError
from debtkit.events import CaseEvent, MemorySeenStore, RedisSeenStore, SeenStore, webhook_app
from debtkit.events.receiver import RETRY_AFTER_BUSY
from tests.core.test_receiver import SECRET, Recorder, body, toy_parse
from tests.core.test_seen_shared import closed_port

SIGNED = {"X-Sig": SECRET}


@pytest.fixture
async def replicas() -> AsyncIterator[Any]:
    """Makes receivers (each its own app and server, as replicas are) on one store."""
    clients: list[TestClient[Any, Any]] = []

    async def make(count: int, on_event: Any, seen: SeenStore, **options: Any) -> list[Any]:
        made = []
        for _ in range(count):
            app = webhook_app(toy_parse, SECRET, on_event, seen=seen, **options)
            client = TestClient(TestServer(app))
            await client.start_server()
            made.append(client)
        clients.extend(made)
        return made

    yield make
    for client in clients:
        await client.close()


async def test_concurrent_deliveries_to_replicas_reach_the_handler_once(replicas: Any) -> None:
    handler = Recorder(delay=0.05)
    receivers = await replicas(3, handler, MemorySeenStore(), claim_wait=0)
    responses = await asyncio.gather(
        *(receivers[i % 3].post("/", data=body("e1"), headers=SIGNED) for i in range(9))
    )
    statuses = sorted(r.status for r in responses)
    assert len(handler.events) == 1
    assert statuses.count(200) >= 1
    assert set(statuses) <= {200, 503}


async def test_an_event_held_by_another_replica_gets_503_with_retry_after(replicas: Any) -> None:
    seen = MemorySeenStore()
    await seen.claim("e1", 60)  # another replica is handling it
    handler = Recorder()
    [receiver] = await replicas(1, handler, seen, claim_wait=0)
    response = await receiver.post("/", data=body("e1"), headers=SIGNED)
    assert response.status == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_BUSY)
    assert (await response.json())["outcome"] == "in_progress"
    assert handler.events == []


async def test_an_event_finished_by_another_replica_while_waiting_gets_200(
    replicas: Any,
) -> None:
    seen = MemorySeenStore()
    await seen.claim("e1", 60)
    handler = Recorder()
    [receiver] = await replicas(1, handler, seen, claim_wait=60)

    async def finish_elsewhere() -> None:
        await asyncio.sleep(0.05)
        await seen.add("e1")

    finishing = asyncio.create_task(finish_elsewhere())
    response = await receiver.post("/", data=body("e1"), headers=SIGNED)
    await finishing
    assert response.status == 200
    assert (await response.json())["outcome"] == "duplicate"
    assert handler.events == []


async def test_a_failed_handler_frees_the_event_for_the_redelivery_to_another_replica(
    replicas: Any,
) -> None:
    handler = Recorder(failures=1)
    first, second = await replicas(2, handler, MemorySeenStore(), claim_wait=0)
    failed = await first.post("/", data=body("e1"), headers=SIGNED)
    redelivered = await second.post("/", data=body("e1"), headers=SIGNED)
    assert (failed.status, redelivered.status) == (500, 200)
    assert len(handler.events) == 1


async def test_a_timed_out_handler_frees_the_event_for_the_redelivery(replicas: Any) -> None:
    calls: list[str] = []

    async def slow_once(event: CaseEvent) -> None:
        calls.append(event.event_id)
        if len(calls) == 1:
            await asyncio.sleep(30)

    first, second = await replicas(
        2, slow_once, MemorySeenStore(), handler_timeout=0.05, claim_wait=0
    )
    timed_out = await first.post("/", data=body("e1"), headers=SIGNED)
    redelivered = await second.post("/", data=body("e1"), headers=SIGNED)
    assert (timed_out.status, redelivered.status) == (503, 200)
    assert calls == ["e1", "e1"]


class BrokenClaims(MemorySeenStore):
    async def claim(self, event_id: str, lease: float) -> Any:
        raise OSError("store unreachable")


async def test_a_seen_store_failing_to_claim_gets_503(replicas: Any) -> None:
    handler = Recorder()
    [receiver] = await replicas(1, handler, BrokenClaims())
    response = await receiver.post("/", data=body("e1"), headers=SIGNED)
    assert response.status == 503
    assert handler.events == []


class CheckThenAddStore:
    """A third party's store with only the original two methods."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    async def contains(self, event_id: str) -> bool:
        return event_id in self.ids

    async def add(self, event_id: str) -> bool:
        new = event_id not in self.ids
        self.ids.add(event_id)
        return new


async def test_a_store_without_claims_still_drops_duplicates(replicas: Any) -> None:
    handler = Recorder()
    [receiver] = await replicas(1, handler, CheckThenAddStore())
    statuses = [
        (await receiver.post("/", data=body("e1"), headers=SIGNED)).status for _ in range(3)
    ]
    assert statuses == [200, 200, 200]
    assert len(handler.events) == 1


def test_a_claim_lease_shorter_than_the_handler_timeout_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        webhook_app(toy_parse, SECRET, Recorder(), handler_timeout=10, claim_lease=5)


async def test_an_unreachable_shared_store_gets_503_and_logs_no_password(
    replicas: Any, caplog: pytest.LogCaptureFixture
) -> None:
    password = "s3cret-in-the-url"
    seen = RedisSeenStore(f"redis://:{password}@127.0.0.1:{closed_port()}/0", connect_timeout=5)
    handler = Recorder()
    [receiver] = await replicas(1, handler, seen)
    with caplog.at_level(logging.DEBUG):
        response = await receiver.post("/", data=body("e1"), headers=SIGNED)
    await seen.close()
    assert response.status == 503
    assert handler.events == []
    assert "seen-store redis://:***@127.0.0.1" in caplog.text
    assert password not in caplog.text
