"""`client.webhooks` against the simulator: subscriptions, signed deliveries, log, replay."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from debtkit_debitura.pytest_plugin import RunningSimulator
from debtkit_debitura.simulator.webhooks import HUB

from debtkit import NotFoundError
from debtkit.errors import BadRequestError, ConfigurationError
from tests.adapters.debitura.webhook_sink import Sink, call, verify_signature
from tests.conftest import make_full_debt

FAST = (0.01, 0.01, 0.01)


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    receiver = Sink()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def fast_sim(sim_factory: Callable[..., Any]) -> RunningSimulator:
    sim: RunningSimulator = await sim_factory(webhook_retry_delays=FAST)
    return sim


async def test_create_returns_the_secret_once_and_never_shows_it_in_repr(
    sim: RunningSimulator,
) -> None:
    async with sim.connect() as client:
        created = await client.webhooks.create(
            "https://hooks.example.com/debitura", ["case.created"]
        )
        fetched = await client.webhooks.get(created.id)
        listed = await client.webhooks.list()
    assert created.secret
    assert created.secret not in repr(created)
    assert fetched.secret is None
    assert [s.id for s in listed] == [created.id]
    assert listed[0].secret is None


async def test_update_changes_only_what_is_given_and_regenerates_the_secret(
    sim: RunningSimulator,
) -> None:
    async with sim.connect() as client:
        created = await client.webhooks.create("https://a.example.com/h", ["case.updated"])
        paused = await client.webhooks.update(created.id, active=False)
        renewed = await client.webhooks.update(
            created.id, url="https://b.example.com/h", regenerate_secret=True
        )
    assert paused.is_active is False
    assert paused.url == "https://a.example.com/h"
    assert paused.secret is None
    assert renewed.url == "https://b.example.com/h"
    assert renewed.secret
    assert renewed.secret != created.secret


async def test_delete_removes_the_subscription(sim: RunningSimulator) -> None:
    async with sim.connect() as client:
        created = await client.webhooks.create("https://a.example.com/h", ["case.closed"])
        await client.webhooks.delete(created.id)
        with pytest.raises(NotFoundError):
            await client.webhooks.get(created.id)


async def test_an_unknown_event_type_is_refused_by_the_simulator(sim: RunningSimulator) -> None:
    async with sim.connect() as client:
        with pytest.raises(BadRequestError):
            await client.webhooks.create("https://a.example.com/h", ["case.exploded"])


async def test_the_https_only_rule_applies_when_insecure_urls_are_not_allowed(
    sim_factory: Callable[..., Any],
) -> None:
    sim = await sim_factory(allow_insecure_webhook_urls=False)
    async with sim.connect() as client:
        for url in ("http://hooks.example.com/h", "https://127.0.0.1/h", "https://x.com:9000/"):
            with pytest.raises(BadRequestError):
                await client.webhooks.create(url, ["case.created"])


async def test_events_needs_a_case_id_before_any_request(sim: RunningSimulator) -> None:
    async with sim.connect() as client:
        with pytest.raises(ConfigurationError):
            await client.webhooks.events("")
    assert sim.state.count_requests(path="/webhooks") == 0


async def test_a_test_delivery_is_signed_as_documented(sim: RunningSimulator, sink: Sink) -> None:
    url = await sink.start()
    async with sim.connect() as client:
        created = await client.webhooks.create(url, ["case.created"], test_mode=True)
        result = await client.webhooks.test(created.id)
    assert result.success
    assert result.http_status_code == 200
    [delivery] = sink.received
    assert created.secret is not None
    assert verify_signature(created.secret, delivery.headers, delivery.body)
    assert delivery.headers["X-Debitura-Test"] == "true"
    assert delivery.headers["X-Debitura-Event"] == "case.created"
    assert json.loads(delivery.body)["event"] == "case.created"


async def test_a_failed_test_delivery_reports_the_status(sim: RunningSimulator, sink: Sink) -> None:
    sink.default = 503
    url = await sink.start()
    async with sim.connect() as client:
        created = await client.webhooks.create(url, ["case.created"])
        result = await client.webhooks.test(created.id)
    assert not result.success
    assert (result.http_status_code, result.error_category) == (503, "HttpError")


async def _test_case(sim: RunningSimulator, reference: str) -> str:
    async with sim.connect() as client:
        case = await client.create(make_full_debt(creditor_reference=reference), is_test=True)
    return case.provider_id


async def test_a_failed_delivery_is_retried_until_it_succeeds(
    fast_sim: RunningSimulator, sink: Sink
) -> None:
    sink.script = [500, 502]
    url = await sink.start()
    async with fast_sim.connect() as client:
        await client.webhooks.create(url, ["case.created"], test_mode=True)
        case_id = await _test_case(fast_sim, "RETRY-1")
        await fast_sim.server.app[HUB].idle()
        [record] = await client.webhooks.events(case_id)
    assert len(sink.received) == 3
    assert record.attempt_count == 3
    assert record.delivered_at is not None
    assert record.last_response_code == 200


async def test_a_410_disables_the_subscription_with_a_reason(
    fast_sim: RunningSimulator, sink: Sink
) -> None:
    sink.default = 410
    url = await sink.start()
    async with fast_sim.connect() as client:
        created = await client.webhooks.create(url, ["case.created"], test_mode=True)
        await _test_case(fast_sim, "GONE-1")
        await fast_sim.server.app[HUB].idle()
        after = await client.webhooks.get(created.id)
    assert len(sink.received) == 1
    assert after.is_active is False
    assert after.disabled_reason


async def test_replaying_a_logged_event_sends_the_same_body_again(
    fast_sim: RunningSimulator, sink: Sink
) -> None:
    url = await sink.start()
    async with fast_sim.connect() as client:
        await client.webhooks.create(url, ["case.created"], test_mode=True)
        case_id = await _test_case(fast_sim, "REPLAY-1")
        await fast_sim.server.app[HUB].idle()
        [record] = await client.webhooks.events(case_id)
        replayed = await client.webhooks.replay_event(record.id)
        await fast_sim.server.app[HUB].idle()
    first, again = sink.received
    assert replayed.event_id == record.id
    assert replayed.event_type == "case.created"
    assert again.body == first.body
    assert again.headers["X-Debitura-Replay"] == "true"


async def test_live_subscriptions_get_no_test_case_events(
    fast_sim: RunningSimulator, sink: Sink
) -> None:
    url = await sink.start()
    async with fast_sim.connect() as client:
        await client.webhooks.create(url, ["case.created"], test_mode=False)
    await _test_case(fast_sim, "TEST-ONLY-1")
    await fast_sim.server.app[HUB].idle()
    assert sink.received == []


async def test_replaying_an_unknown_event_is_not_found(sim: RunningSimulator) -> None:
    response = await call(
        sim.base_url, "POST", "webhooks/events/3fa85f64-5717-4562-b3fc-2c963f66afa6/replay"
    )
    assert response.status == 404


async def test_the_event_log_reads_only_rows_since_the_given_time(
    fast_sim: RunningSimulator, sink: Sink
) -> None:
    url = await sink.start()
    async with fast_sim.connect() as client:
        await client.webhooks.create(url, ["case.created"], test_mode=True)
        case_id = await _test_case(fast_sim, "SINCE-1")
        await fast_sim.server.app[HUB].idle()
        past = await client.webhooks.events(case_id, since=dt.datetime(2000, 1, 1))
        future = await client.webhooks.events(
            case_id, since=dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
        )
    assert [r.event_type for r in past] == ["case.created"]
    assert future == []
    query = [r.query for r in fast_sim.state.requests if r.path == "/webhooks/events"]
    assert "since=2000-01-01T00:00:00Z" in query[0]


async def test_the_deprecated_subscription_replay_is_accepted_and_replays_nothing(
    sim: RunningSimulator,
) -> None:
    async with sim.connect() as client:
        created = await client.webhooks.create("https://a.example.com/h", ["case.created"])
    path = f"webhooks/{created.id}/replay"
    answer = await call(sim.base_url, "POST", path, {"sinceUtc": "2024-01-01T00:00:00Z"})
    assert (answer.status, answer.body) == (200, {"eventsReplayed": 0})
