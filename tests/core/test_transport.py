from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from debtkit import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConnectionFailedError,
    NotFoundError,
    RateLimit,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)
from debtkit.budget import Budget
from debtkit.retry import NO_RETRY, RetryPolicy
from debtkit.simulator import SimulatorServer
from debtkit.testing.http_mock import MockHttp
from debtkit.transport import Request, Timeouts, Transport

BASE = "https://api.example.test/v1"
SECRET = "sk_live_very_secret_value"


class StaticAuth:
    def __init__(self) -> None:
        self.token = SECRET
        self.renewals = 0

    def __repr__(self) -> str:
        return "StaticAuth(token=***)"

    async def headers(self, transport: Transport) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def renew(self, transport: Transport) -> bool:
        self.renewals += 1
        self.token = f"{SECRET}-renewed"
        return True


async def test_json_body_carries_exact_decimals(mock_http: MockHttp) -> None:
    mock_http.post(f"{BASE}/debts", payload={"ok": True})
    async with Transport(provider="p", base_url=BASE) as transport:
        await transport.request(Request("POST", "debts", json={"amount": Decimal("1250.10")}))
    (call,) = mock_http.requests[("POST", aiohttp.client.URL(f"{BASE}/debts"))]
    assert call.kwargs["data"] == '{"amount":1250.10}'


async def test_response_fractions_are_read_as_decimal(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/debts/1", body='{"amount": 1250.10}')
    async with Transport(provider="p", base_url=BASE) as transport:
        response = await transport.request(Request("GET", "debts/1"))
    assert response.body == {"amount": Decimal("1250.10")}


async def test_user_agent_names_debtkit(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", payload={})
    async with Transport(provider="p", base_url=BASE) as transport:
        await transport.request(Request("GET", "x"))
    (call,) = mock_http.requests[("GET", aiohttp.client.URL(f"{BASE}/x"))]
    assert call.kwargs["headers"]["User-Agent"].startswith("debtkit/")


async def test_request_id_is_surfaced_on_errors(mock_http: MockHttp) -> None:
    mock_http.get(
        f"{BASE}/debts/nope",
        status=404,
        payload={"message": "Debt not found"},
        headers={"X-Request-Id": "r-42"},
    )
    async with Transport(provider="p", base_url=BASE) as transport:
        with pytest.raises(NotFoundError) as caught:
            await transport.request(Request("GET", "debts/nope"))
    assert caught.value.request_id == "r-42"
    assert caught.value.message == "Debt not found"


async def test_adapter_error_parser_is_applied(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", status=418, payload={})

    class Teapot(Exception):
        pass

    def parser(response: object) -> Exception:
        return Teapot()

    async with Transport(provider="p", base_url=BASE, error_parser=parser) as transport:  # type: ignore[arg-type]
        with pytest.raises(Teapot):
            await transport.request(Request("GET", "x"))


async def test_unauthorized_renews_once_and_resends(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", status=401, payload={})
    mock_http.get(f"{BASE}/x", payload={"ok": True})
    auth = StaticAuth()
    async with Transport(provider="p", base_url=BASE, auth=auth) as transport:
        response = await transport.request(Request("GET", "x"))
    assert response.body == {"ok": True}
    assert auth.renewals == 1


async def test_second_unauthorized_is_an_authentication_error_without_the_secret(
    mock_http: MockHttp,
) -> None:
    mock_http.get(f"{BASE}/x", status=401, payload={"message": "bad token"}, repeat=True)
    auth = StaticAuth()
    async with Transport(provider="p", base_url=BASE, auth=auth) as transport:
        with pytest.raises(AuthenticationError) as caught:
            await transport.request(Request("GET", "x"))
    assert auth.renewals == 1
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert SECRET not in repr(transport)


async def test_debug_log_never_contains_the_secret(
    mock_http: MockHttp, caplog: pytest.LogCaptureFixture
) -> None:
    mock_http.get(f"{BASE}/x?search=jane", payload={})
    caplog.set_level(logging.DEBUG, logger="debtkit")
    async with Transport(provider="p", base_url=BASE, auth=StaticAuth()) as transport:
        await transport.request(Request("GET", "x", params={"search": "jane"}))
    assert caplog.records
    assert SECRET not in caplog.text
    assert "jane" not in caplog.text


async def test_connection_failure_is_typed(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", exception=aiohttp.ClientConnectionError("boom"))
    async with Transport(provider="p", base_url=BASE, retry=NO_RETRY) as transport:
        with pytest.raises(ConnectionFailedError):
            await transport.request(Request("GET", "x"))


async def test_slow_response_is_a_timeout() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/slow", slow)
    async with (
        SimulatorServer(app) as server,
        Transport(
            provider="p", base_url=server.origin, timeouts=Timeouts(total=0.2), retry=NO_RETRY
        ) as transport,
    ):
        with pytest.raises(RequestTimeoutError):
            await transport.request(Request("GET", "slow"))


async def test_caller_session_is_used_and_left_open(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", payload={})
    async with aiohttp.ClientSession() as session:
        async with Transport(provider="p", base_url=BASE, session=session) as transport:
            await transport.request(Request("GET", "x"))
        assert not session.closed


async def test_own_session_is_closed_on_exit(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", payload={})
    async with Transport(provider="p", base_url=BASE) as transport:
        await transport.request(Request("GET", "x"))
        session = transport.session()
    assert session.closed


def test_relative_base_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        Transport(provider="p", base_url="api.example.test")


FAST = RetryPolicy(attempts=3, base=0.01, cap=0.02)


async def test_read_is_retried_after_a_server_error(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", status=503, payload={})
    mock_http.get(f"{BASE}/x", payload={"ok": True})
    async with Transport(provider="p", base_url=BASE, retry=FAST) as transport:
        assert (await transport.request(Request("GET", "x"))).body == {"ok": True}


async def test_plain_post_is_never_resent(mock_http: MockHttp) -> None:
    mock_http.post(f"{BASE}/x", status=503, payload={})
    mock_http.post(f"{BASE}/x", payload={"ok": True})
    async with Transport(provider="p", base_url=BASE, retry=FAST) as transport:
        with pytest.raises(ServerError):
            await transport.request(Request("POST", "x", json={}))
    assert len(mock_http.requests[("POST", aiohttp.client.URL(f"{BASE}/x"))]) == 1


async def test_post_marked_retry_safe_is_resent(mock_http: MockHttp) -> None:
    mock_http.post(f"{BASE}/x", exception=aiohttp.ServerDisconnectedError())
    mock_http.post(f"{BASE}/x", payload={"ok": True})
    async with Transport(provider="p", base_url=BASE, retry=FAST) as transport:
        response = await transport.request(Request("POST", "x", json={}, retry_safe=True))
    assert response.body == {"ok": True}


async def test_client_error_is_not_retried(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", status=400, payload={})
    mock_http.get(f"{BASE}/x", payload={"ok": True})
    async with Transport(provider="p", base_url=BASE, retry=FAST) as transport:
        with pytest.raises(BadRequestError):
            await transport.request(Request("GET", "x"))


def test_server_requested_wait_beyond_the_cap_is_not_retried() -> None:
    error = RateLimitedError(
        "later", retry_after=1800, provider="p", method="GET", path="/x", status=429
    )
    assert not RetryPolicy(max_server_wait=120).is_retryable(error)
    assert RetryPolicy(max_server_wait=3600).delay(1, error) == 1800


class SpyGate:
    """Records what the transport tells a gate, attempt by attempt."""

    def __init__(self) -> None:
        self.events: list[str] = []

    async def before_attempt(self, request: Request) -> None:
        self.events.append("before")

    def after_response(self, request: Request, response: object) -> None:
        self.events.append(f"response {response.status}")  # type: ignore[attr-defined]

    def after_failure(self, request: Request, error: BaseException) -> None:
        self.events.append(f"failure {type(error).__name__}")


async def test_every_attempt_passes_the_gate_so_retries_spend_budget(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", status=503, payload={})
    mock_http.get(f"{BASE}/x", exception=aiohttp.ServerDisconnectedError())
    mock_http.get(f"{BASE}/x", payload={"ok": True})
    gate = SpyGate()
    async with Transport(provider="p", base_url=BASE, retry=FAST, gate=gate) as transport:
        await transport.request(Request("GET", "x"))
    assert gate.events == [
        "before",
        "response 503",
        "before",
        "failure ConnectionFailedError",
        "before",
        "response 200",
    ]


async def test_gate_is_told_when_an_attempt_is_cancelled_in_flight() -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/slow", slow)
    gate = SpyGate()
    async with (
        SimulatorServer(app) as server,
        Transport(provider="p", base_url=server.origin, gate=gate) as transport,
    ):
        call = asyncio.ensure_future(transport.request(Request("GET", "slow")))
        await asyncio.sleep(0.2)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        release.set()
    assert gate.events == ["before", "failure CancelledError"]


async def test_429_wait_comes_from_retry_after_when_the_parser_gave_none(
    mock_http: MockHttp,
) -> None:
    mock_http.get(f"{BASE}/x", status=429, payload={}, headers={"Retry-After": "0.2"})
    mock_http.get(f"{BASE}/x", payload={"ok": True})
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with Transport(provider="p", base_url=BASE, retry=FAST) as transport:
        await transport.request(Request("GET", "x"))
    assert loop.time() - started >= 0.2


async def test_429_asking_for_more_than_the_cap_is_raised_at_once(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", status=429, payload={}, headers={"Retry-After": "3600"})
    async with Transport(provider="p", base_url=BASE, retry=FAST) as transport:
        with pytest.raises(RateLimitedError):
            await transport.request(Request("GET", "x"))
    assert len(mock_http.requests[("GET", aiohttp.client.URL(f"{BASE}/x"))]) == 1


async def test_retries_spend_the_budget_like_first_attempts(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/x", status=503, payload={})
    mock_http.get(f"{BASE}/x", status=502, payload={})
    mock_http.get(f"{BASE}/x", payload={"ok": True})
    budget = Budget([RateLimit("all", 100, 60.0)])
    async with Transport(provider="p", base_url=BASE, retry=FAST, gate=budget) as transport:
        await transport.request(Request("GET", "x"))
    stats = await budget.stats()
    assert stats.admitted == {"read": 3}
    assert stats.limits[0].in_use == 3
