"""Three replicas of a webhook receiver behind a load balancer, sharing one seen-store on a
real PostgreSQL or Redis server: the Debitura simulator's signed deliveries, its retries and
duplicates, plus concurrent redeliveries while the first is being handled, reach the
callback exactly once per event.

The overlap is made certain rather than left to timing: the callback for an event does not
return until the load balancer has relayed some other replica's 503 "in_progress" for that
same event, that is, until a concurrent delivery met the live claim. A third of the events
fail on their first handling, so a released claim must be handled on a redelivery."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, suppress
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.pytest_plugin import RunningSimulator
from debtkit_debitura.simulator.webhooks import HUB, Delivery, WebhookHub

from debtkit.events import CaseEvent, PostgresSeenStore, RedisSeenStore, SeenStore, webhook_app
from debtkit.simulator import SimulatorServer
from tests.adapters.debitura.conftest import (  # noqa: F401 - fixtures: traffic checked
    exchanges,
    sim_factory,
    spec_contract,
)
from tests.conftest import make_full_debt
from tests.core.test_seen_claims import fresh_database

REPLICAS = 3
OVERLAP_BOUND = 7.0  # seconds a first handling waits for a concurrent delivery to be refused
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0, 1.0, 2.0, 2.0, 5.0, 5.0, 10.0)  # generous


class LoadBalancer:
    """Spreads deliveries over the replicas as unkindly as a proxy can: the deliveries of
    one event go round-robin, so no two in a row reach the same replica. Counts answers."""

    def __init__(self, targets: list[str], refused: Callable[[str], None]) -> None:
        self._targets = targets
        self._refused = refused
        self._per_event: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self._session: aiohttp.ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        event_id = json.loads(body)["id"]
        target = self._targets[self._per_event[event_id] % len(self._targets)]
        self._per_event[event_id] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(target, data=body, headers=headers) as answer:
            payload = await answer.read()
            outcome = json.loads(payload).get("outcome", "?")
            self.answers[f"{answer.status} {outcome}"] += 1
            if outcome == "in_progress":
                self._refused(event_id)
            relayed = {"Content-Type": answer.headers["Content-Type"]}
            if "Retry-After" in answer.headers:
                relayed["Retry-After"] = answer.headers["Retry-After"]
            return web.Response(status=answer.status, body=payload, headers=relayed)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class Callback:
    """The application's on_event: records calls; holds each first handling until a concurrent
    delivery was refused; fails the first handling of every third event."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.started: list[str] = []
        self.failed: list[str] = []
        self.refused: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def refused_elsewhere(self, event_id: str) -> None:
        self.refused[event_id].set()

    async def __call__(self, event: CaseEvent) -> None:
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.refused[event.event_id].wait(), OVERLAP_BOUND)
        if event.event_id not in self.started:
            self.started.append(event.event_id)
            if len(self.started) % 3 == 1:
                self.failed.append(event.event_id)
                raise RuntimeError("handler down")
        self.calls.append(event.event_id)


@pytest.fixture(params=["postgres", "redis"])
async def open_store(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], Any]]:
    """Opens one more instance of a shared store: each replica has its own connections."""
    if request.param == "postgres":
        database = await fresh_database(request.getfixturevalue("postgres_url"))

        def make() -> SeenStore:
            return PostgresSeenStore(database)
    else:
        redis_url = request.getfixturevalue("redis_url")
        prefix = f"replicas:{id(request)}:"

        def make() -> SeenStore:
            return RedisSeenStore(redis_url, prefix=prefix)

    async with AsyncExitStack() as stack:

        async def open_one() -> SeenStore:
            return await stack.enter_async_context(make())  # type: ignore[arg-type]

        yield open_one


async def _deliver_until_accepted(hub: WebhookHub, delivery: Delivery) -> int:
    """One more delivery of `delivery`, retried like a provider until a 2xx; attempts made."""
    subscription = hub.subscriptions[delivery.subscription_id]
    for attempt, pause in enumerate((0.0, *RETRY_DELAYS), start=1):
        await asyncio.sleep(pause)
        status, _ = await hub.post(subscription, delivery)
        if status is not None and 200 <= status < 300:
            return attempt
    raise AssertionError(f"delivery {delivery.id} never accepted")


async def test_replicas_behind_a_load_balancer_hand_each_event_on_once(
    sim_factory: Callable[..., Any],  # noqa: F811 - the imported fixture
    open_store: Callable[[], Any],
) -> None:
    sim: RunningSimulator = await sim_factory(webhook_retry_delays=RETRY_DELAYS)
    hub = sim.server.app[HUB]
    hub.duplicate_deliveries = 2  # every accepted delivery sent twice more
    callback = Callback()
    async with sim.connect() as client, AsyncExitStack() as stack:
        subscription = await client.webhooks.create(
            "https://placeholder.example.com/hooks",
            ["case.created", "case.updated", "case.closed", "payment.created"],
            test_mode=True,
        )
        assert subscription.secret is not None
        origins = []
        for _ in range(REPLICAS):
            app = webhook_app(
                DebituraAdapter(), subscription.secret, callback,
                path="/hooks", seen=await open_store(), claim_wait=0,
            )  # fmt: skip
            origins.append((await stack.enter_async_context(SimulatorServer(app))).origin)
        balancer = LoadBalancer([o + "/hooks" for o in origins], callback.refused_elsewhere)
        stack.push_async_callback(balancer.close)
        front = web.Application()
        front.router.add_post("/hooks", balancer.forward)
        entry = await stack.enter_async_context(SimulatorServer(front))
        await client.webhooks.update(subscription.id, url=entry.origin + "/hooks")

        for name in ("active", "paid", "unpaid"):
            case = await client.create(
                make_full_debt(creditor_reference=f"LB-{name}"), is_test=True
            )
            await client.test_mode.advance(case.provider_id, "Active")
        # The first deliveries are now held in the callback; three concurrent redeliveries
        # of each (a provider retrying) meet the live claims.
        bursts = [_deliver_until_accepted(hub, d) for d in hub.log for _ in range(3)]
        burst_attempts = await asyncio.wait_for(asyncio.gather(*bursts), 120)
        await hub.idle(120)

    events = {delivery.id for delivery in hub.log}
    deliveries = sum(delivery.sent for delivery in hub.log)
    logging.getLogger(__name__).info(
        f"{len(events)} events, {deliveries} deliveries ({sum(burst_attempts)} in bursts), "
        f"{len(callback.calls)} callbacks, {len(callback.failed)} failed first handlings; "
        f"answers: {dict(balancer.answers)}"
    )
    assert len(events) == 6
    assert Counter(callback.calls) == dict.fromkeys(events, 1)
    assert len(callback.failed) == 2
    assert balancer.answers["503 in_progress"] >= len(events)
    assert sum(balancer.answers.values()) == deliveries
    assert not [d for d in hub.log if d.delivered is None]
