"""OAuth client credentials: form request, cache, renewal, sharing, cancellation."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from aioresponses import CallbackResult
from debtkit_getbill import GetBillAdapter, GetBillAuth
from debtkit_getbill.simulator import RunningSimulator

from debtkit import AuthenticationError
from debtkit.simulator import SimulatorServer
from debtkit.testing.http_mock import CompatClientResponse, MockHttp
from debtkit.transport import Transport
from tests.adapters.getbill.helpers import BASE, SECRET, TOKEN_URL, FakeClock, seed, seed_text

DEBT_URL = re.compile(re.escape(BASE) + r"/debts/abc123def456")
CREDENTIALS = {"client_id": "client-1", "client_secret": SECRET}


def token_calls(mock_http: MockHttp) -> list[dict[str, list[str]]]:
    calls = mock_http.requests.get(("POST", aiohttp.client.URL(TOKEN_URL)), [])
    return [parse_qs(aiohttp.FormData(c.kwargs["data"])().decode()) for c in calls]


def serve_debt(mock_http: MockHttp, times: int = 1) -> None:
    for _ in range(times):
        mock_http.get(DEBT_URL, body=seed_text("get_debt.json"))


async def test_token_is_requested_with_the_documented_form(mock_http: MockHttp) -> None:
    mock_http.post(TOKEN_URL, payload=seed("token.json"))
    serve_debt(mock_http)
    async with GetBillAdapter().connect(CREDENTIALS, base_url=BASE) as client:
        await client.get("abc123def456")
    assert token_calls(mock_http) == [
        {
            "grant_type": ["client_credentials"],
            "client_id": ["client-1"],
            "client_secret": [SECRET],
            "scope": ["debts:read debts:write"],
        }
    ]


async def test_bearer_token_is_sent_on_api_calls(mock_http: MockHttp) -> None:
    mock_http.post(TOKEN_URL, payload=seed("token.json"))
    serve_debt(mock_http)
    async with GetBillAdapter().connect(CREDENTIALS, base_url=BASE) as client:
        await client.get("abc123def456")
    (call,) = next(v for (m, url), v in mock_http.requests.items() if m == "GET")
    assert call.kwargs["headers"]["Authorization"] == "Bearer xxx.yyy.zzz"


async def test_token_url_can_be_overridden(mock_http: MockHttp) -> None:
    mock_http.post("https://auth.getbill.test/oauth/token", payload=seed("token.json"))
    serve_debt(mock_http)
    async with GetBillAdapter().connect(
        CREDENTIALS, base_url=BASE, token_url="https://auth.getbill.test/oauth/token"
    ) as client:
        await client.get("abc123def456")
    assert token_calls(mock_http) == []


async def test_token_is_cached_between_calls(mock_http: MockHttp) -> None:
    mock_http.post(TOKEN_URL, payload=seed("token.json"))
    serve_debt(mock_http, times=3)
    async with GetBillAdapter().connect(CREDENTIALS, base_url=BASE) as client:
        for _ in range(3):
            await client.get("abc123def456")
    assert len(token_calls(mock_http)) == 1


async def test_token_is_renewed_shortly_before_it_expires(mock_http: MockHttp) -> None:
    clock = FakeClock()
    for _ in range(2):
        mock_http.post(TOKEN_URL, payload=seed("token.json"))
    serve_debt(mock_http, times=3)
    async with GetBillAdapter().connect(CREDENTIALS, base_url=BASE, clock=clock) as client:
        await client.get("abc123def456")
        clock.advance(3500)  # 100 s left: still used
        await client.get("abc123def456")
        assert len(token_calls(mock_http)) == 1
        clock.advance(45)  # 55 s left: inside the renewal margin
        await client.get("abc123def456")
    assert len(token_calls(mock_http)) == 2


async def test_concurrent_callers_share_one_token_request(mock_http: MockHttp) -> None:
    async def slow_token(url: object, **kwargs: object) -> CallbackResult:
        await asyncio.sleep(0.05)
        return CallbackResult(payload=seed("token.json"), response_class=CompatClientResponse)

    mock_http.post(TOKEN_URL, callback=slow_token, repeat=True)
    serve_debt(mock_http, times=10)
    async with GetBillAdapter().connect(CREDENTIALS, base_url=BASE) as client:
        await asyncio.gather(*(client.get("abc123def456") for _ in range(10)))
    assert len(token_calls(mock_http)) == 1


async def test_token_response_without_access_token_is_an_authentication_error(
    mock_http: MockHttp,
) -> None:
    mock_http.post(TOKEN_URL, payload={"token_type": "Bearer", "expires_in": 3600})
    async with GetBillAdapter().connect(CREDENTIALS, base_url=BASE) as client:
        with pytest.raises(AuthenticationError):
            await client.get("abc123def456")


async def test_ready_access_token_is_used_without_a_token_request(mock_http: MockHttp) -> None:
    serve_debt(mock_http)
    async with GetBillAdapter().connect({"access_token": "ready"}, base_url=BASE) as client:
        await client.get("abc123def456")
    assert token_calls(mock_http) == []


async def test_ready_access_token_cannot_be_renewed() -> None:
    auth = GetBillAuth(access_token="ready")
    async with Transport(provider="getbill", base_url=BASE) as transport:
        assert await auth.renew(transport) is False


def test_auth_repr_shows_no_secret_or_token() -> None:
    auth = GetBillAuth(client_id="client-1", client_secret=SECRET, access_token="tok-123")
    assert SECRET not in repr(auth)
    assert "tok-123" not in repr(auth)
    assert "client-1" not in repr(auth)


async def test_cancelled_caller_does_not_cancel_the_shared_token_request() -> None:
    release, started = asyncio.Event(), asyncio.Event()
    grants: list[str] = []

    async def token(request: web.Request) -> web.Response:
        grants.append("grant")
        started.set()
        await release.wait()
        return web.json_response({"access_token": "t1", "token_type": "Bearer", "expires_in": 60})

    async def debt(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer t1"
        return web.Response(text=seed_text("get_debt.json"), content_type="application/json")

    app = web.Application()
    app.router.add_post("/token", token)
    app.router.add_get("/external-api/v1/debts/{id}", debt)
    async with SimulatorServer(app) as server:
        base = server.origin + "/external-api/v1"
        async with GetBillAdapter().connect(CREDENTIALS, base_url=base) as client:
            first = asyncio.create_task(client.get("abc123def456"))
            await started.wait()
            first.cancel()
            second = asyncio.create_task(client.get("abc123def456"))
            await asyncio.sleep(0.01)
            release.set()
            case = await second
            with pytest.raises(asyncio.CancelledError):
                await first
    assert case.provider_id == "abc123def456"
    assert grants == ["grant"]


# -- against the simulator --------------------------------------------------------------


async def test_token_expiring_mid_run_is_renewed_before_the_server_refuses_it() -> None:
    clock = FakeClock()
    async with RunningSimulator(clock=clock, token_ttl=3600) as sim:
        async with sim.connect(clock=clock) as client:
            for _ in range(7):  # two hours, a call every twenty minutes
                await client.find("nothing")
                clock.advance(1200)
        assert all(entry.status != 401 for entry in sim.state.log)
        assert len(sim.state.grants) == 3


async def test_token_revoked_server_side_is_renewed_once_and_the_call_succeeds() -> None:
    async with RunningSimulator() as sim, sim.connect() as client:
        await client.find("nothing")
        sim.state.expire_tokens()
        assert await client.find("nothing") is None
        assert [e.status for e in sim.state.log] == [200, 401, 200]
        assert len(sim.state.grants) == 2


async def test_burst_of_401s_costs_one_renewal() -> None:
    async with RunningSimulator() as sim, sim.connect() as client:
        await client.find("nothing")
        sim.state.expire_tokens()
        await asyncio.gather(*(client.find("nothing") for _ in range(10)))
        assert len(sim.state.grants) == 2


async def test_wrong_client_secret_is_an_authentication_error() -> None:
    async with RunningSimulator() as sim:
        credentials = {"client_id": "sim-client", "client_secret": "wrong"}
        async with sim.connect(credentials) as client:
            with pytest.raises(AuthenticationError) as caught:
                await client.find("x")
    assert caught.value.path == "/token"
    assert "wrong" not in str(caught.value)


async def test_invalid_ready_token_is_an_authentication_error_after_no_renewal() -> None:
    async with RunningSimulator() as sim, sim.connect({"access_token": "bogus"}) as client:
        with pytest.raises(AuthenticationError):
            await client.get("abc")
        assert sim.state.grants == []
        assert [e.status for e in sim.state.log] == [401]
