"""The GetBill simulator's control endpoints and webhook deliveries (simulator only)."""

from __future__ import annotations

import hashlib
import hmac
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from debtkit_getbill.simulator import RunningSimulator

from debtkit.simulator import SimulatorServer
from tests.adapters.getbill.helpers import person_debt

SECRET = "sim-webhook-secret"


class Endpoint:
    """A bare receiving endpoint answering `statuses` in turn (then 200)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[bytes, str]] = []
        self.app = web.Application()
        self.app.router.add_post("/", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), request.headers["X-GetBill-Signature"]))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def endpoint_server() -> AsyncIterator[Any]:
    servers: list[SimulatorServer] = []

    async def start(endpoint: Endpoint) -> str:
        server = SimulatorServer(endpoint.app)
        await server.start()
        servers.append(server)
        return server.origin + "/"

    yield start
    for server in servers:
        await server.stop()


async def test_deliveries_are_signed_with_hex_hmac_of_the_body(endpoint_server: Any) -> None:
    endpoint = Endpoint()
    url = await endpoint_server(endpoint)
    async with RunningSimulator(webhook_url=url, webhook_secret=SECRET) as sim:
        async with sim.connect() as client:
            await client.create(person_debt())
        await sim.state.webhooks.idle()
    ((body, signature),) = endpoint.received
    assert signature == hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert body.startswith(b'{"type":"debt.created"')


async def test_a_failing_endpoint_is_retried_up_to_the_attempt_limit(endpoint_server: Any) -> None:
    endpoint = Endpoint(503, 503, 503, 503)
    url = await endpoint_server(endpoint)
    options = {"webhook_attempts": 3, "webhook_retry_delay": 0.001}
    async with RunningSimulator(webhook_url=url, webhook_secret=SECRET, **options) as sim:
        async with sim.connect() as client:
            await client.create(person_debt())
        await sim.state.webhooks.idle()
    assert [a.status for a in sim.state.webhooks.attempt_log] == [503, 503, 503]


async def test_an_unreachable_endpoint_is_retried_without_stopping_the_simulator() -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = {"webhook_attempts": 2, "webhook_retry_delay": 0.001}
    async with RunningSimulator(
        webhook_url=f"http://127.0.0.1:{port}/", webhook_secret=SECRET, **options
    ) as sim:
        async with sim.connect() as client:
            await client.create(person_debt())
        await sim.state.webhooks.idle()
    assert [a.status for a in sim.state.webhooks.attempt_log] == [None, None]


async def test_without_a_webhook_url_nothing_is_kept_or_sent() -> None:
    async with RunningSimulator() as sim, sim.connect() as client:
        await client.create(person_debt())
    assert sim.state.webhooks.events == []


async def test_the_webhook_url_can_be_set_through_the_control_endpoint(
    endpoint_server: Any,
) -> None:
    endpoint = Endpoint()
    url = await endpoint_server(endpoint)
    async with RunningSimulator() as sim, aiohttp.ClientSession(sim.origin) as control:
        async with control.post("/_simulator/webhook", json={"url": url, "secret": SECRET}) as r:
            assert r.status == 200
        async with sim.connect() as client:
            await client.create(person_debt())
        await sim.state.webhooks.idle()
    assert len(endpoint.received) == 1


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/_simulator/debts/missing/status", {"status": "status.default.paid"}, 404),
        ("/_simulator/debts/missing/payments", {"amount": "1"}, 404),
        ("/_simulator/debts/{id}/status", {}, 400),
        ("/_simulator/debts/{id}/payments", {"amount": "-1"}, 400),
        ("/_simulator/debts/{id}/payments", {"amount": "abc"}, 400),
        ("/_simulator/webhooks/redeliver", {"last": "x"}, 400),
        ("/_simulator/webhook", {"url": "http://x"}, 400),
    ],
)
async def test_control_endpoints_refuse_bad_requests(path: str, body: Any, status: int) -> None:
    async with RunningSimulator() as sim, aiohttp.ClientSession(sim.origin) as control:
        async with sim.connect() as client:
            case = await client.create(person_debt())
        async with control.post(path.format(id=case.provider_id), json=body) as response:
            assert response.status == status


async def test_control_payment_settles_the_debt_once_fully_paid() -> None:
    async with RunningSimulator() as sim, aiohttp.ClientSession(sim.origin) as control:
        async with sim.connect() as client:
            case = await client.create(person_debt())
        path = f"/_simulator/debts/{case.provider_id}/payments"
        async with control.post(path, json={"amount": "50.00"}) as response:
            assert response.status == 201
        assert sim.state.debts[case.provider_id]["status"] == "status.default.pending"
        async with control.post(path, json={"amount": "49.90"}):
            pass
        assert sim.state.debts[case.provider_id]["status"] == "status.default.paid"
