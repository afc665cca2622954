"""The transport against hostile answers (issue 11, items 6-10): ids as path segments, no
redirect followed, a size limit, one retry schedule for credentials, and every failure of an
exchange typed. End to end against both adapters: tests/adversarial."""

from __future__ import annotations

import asyncio
import math
import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from debtkit import jsonutil
from debtkit.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionFailedError,
    CredentialsUnavailableError,
    ProtocolError,
    RedirectError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
    ValidationError,
)
from debtkit.retry import RetryPolicy, retry_after_seconds
from debtkit.simulator import SimulatorServer
from debtkit.transport import Request, Transport, path_segment

FAST = RetryPolicy(attempts=3, base=0.0, cap=0.0)

# -- ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", ".", "..", None, 5, b"id", "\ud800"])
def test_path_segment_refuses_what_cannot_be_one_segment(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        path_segment(value, name="provider_id")
    assert caught.value.problems[0].path == "provider_id"


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("0b7e6c1e-52ad-4c2c-9d1b-0c1f2a3b4c5d", "0b7e6c1e-52ad-4c2c-9d1b-0c1f2a3b4c5d"),
        ("a/b", "a%2Fb"),
        ("../x", "..%2Fx"),
        ("...", "..."),
        ("a?b#c%d e", "a%3Fb%23c%25d%20e"),
        ("é~_.", "%C3%A9~_."),
    ],
)
def test_path_segment_escapes_every_reserved_character(value: str, segment: str) -> None:
    assert path_segment(value) == segment


# -- server-requested waits -----------------------------------------------------------------------


def test_retry_after_too_large_for_a_float_is_an_infinite_wait() -> None:
    assert retry_after_seconds({"Retry-After": "1e309"}) == math.inf
    assert retry_after_seconds({"retry-after-ms": "1e309"}) == math.inf


def test_retry_after_nan_is_unreadable() -> None:
    assert retry_after_seconds({"Retry-After": "nan"}) is None


def test_retry_policy_needs_a_finite_max_server_wait() -> None:
    with pytest.raises(ValueError, match="max_server_wait"):
        RetryPolicy(max_server_wait=math.inf)


def test_too_large_and_redirect_errors_are_not_retried() -> None:
    too_large = ResponseTooLargeError("p", "GET", "/x", limit=10, status=200)
    redirect = RedirectError("p", "GET", "/x", status=307, location="http://elsewhere/")
    assert not RetryPolicy().is_retryable(too_large)
    assert not RetryPolicy().is_retryable(redirect)


def test_json_nested_too_deeply_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        jsonutil.loads(b"[" * 200_000)


# -- a loopback server ----------------------------------------------------------------------------


async def _serve(handler: Any) -> SimulatorServer:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = SimulatorServer(app)
    await server.start()
    return server


async def _get(server: SimulatorServer, **options: Any) -> Any:
    options.setdefault("retry", FAST)
    async with Transport(provider="p", base_url=server.origin, **options) as transport:
        return await transport.request(Request("GET", "x"))


async def test_redirect_is_not_followed() -> None:
    hits: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        if request.path == "/x":
            return web.Response(status=308, headers={"Location": "/elsewhere"})
        return web.json_response({})

    server = await _serve(handler)
    try:
        with pytest.raises(RedirectError) as caught:
            await _get(server)
    finally:
        await server.stop()
    assert hits == ["/x"]
    assert (caught.value.status, caught.value.location) == (308, "/elsewhere")


@pytest.mark.parametrize("declared", [True, False])
async def test_body_past_the_limit_is_refused(declared: bool) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        if declared:
            response.content_length = 1001
        await response.prepare(request)
        await response.write(b" " * 1001)
        return response

    server = await _serve(handler)
    try:
        with pytest.raises(ResponseTooLargeError) as caught:
            await _get(server, max_response_bytes=1000)
    finally:
        await server.stop()
    assert (caught.value.limit, caught.value.status) == (1000, 200)


async def test_body_at_the_limit_is_read() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"[" + b" " * 998 + b"]", content_type="application/json")

    server = await _serve(handler)
    try:
        response = await _get(server, max_response_bytes=1000)
    finally:
        await server.stop()
    assert response.body == []


@pytest.mark.parametrize("limit", [0, -1, True, 1.5])
def test_size_limit_must_be_a_positive_integer(limit: Any) -> None:
    with pytest.raises(ConfigurationError):
        Transport(provider="p", base_url="http://127.0.0.1", max_response_bytes=limit)


@pytest.mark.parametrize("content_type", ["text/plain; charset=no", "text/html", None])
async def test_body_that_is_not_json_is_read_as_text(content_type: str | None) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": content_type} if content_type else {}
        return web.Response(body="not json \u00e9".encode(), headers=headers)

    server = await _serve(handler)
    try:
        response = await _get(server)
    finally:
        await server.stop()
    assert response.body == "not json \u00e9"


async def test_proxy_error_page_keeps_its_status() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=502, body=b"<html>Bad Gateway</html>", content_type="text/html")

    server = await _serve(handler)
    try:
        with pytest.raises(ServerError) as caught:
            await _get(server, retry=RetryPolicy(attempts=1))
    finally:
        await server.stop()
    assert caught.value.body == "<html>Bad Gateway</html>"


# -- credentials ----------------------------------------------------------------------------------


class FailingAuth:
    def __init__(self, error: Exception, *, on_renew: bool = False) -> None:
        self.error = error
        self.on_renew = on_renew
        self.calls = 0

    async def headers(self, transport: Transport) -> Mapping[str, str]:
        self.calls += 1
        if not self.on_renew:
            raise self.error
        return {"Authorization": "Bearer stale"}

    async def renew(self, transport: Transport) -> bool:
        self.calls += 1
        raise self.error


def _server_error() -> ServerError:
    return ServerError("bad gateway", provider="p", method="POST", path="/token", status=502)


@pytest.mark.parametrize("on_renew", [False, True])
async def test_credentials_failing_transiently_are_not_retried_again(on_renew: bool) -> None:
    answers: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        answers.append(401)
        return web.json_response({}, status=401)

    server = await _serve(handler)
    auth = FailingAuth(_server_error(), on_renew=on_renew)
    try:
        with pytest.raises(CredentialsUnavailableError) as caught:
            await _get(server, auth=auth)
    finally:
        await server.stop()
    assert isinstance(caught.value.cause, ServerError)
    assert auth.calls == (2 if on_renew else 1)
    assert len(answers) == (1 if on_renew else 0)


async def test_credentials_refused_pass_through_unchanged() -> None:
    refused = AuthenticationError("nope", provider="p", method="POST", path="/token", status=401)
    auth = FailingAuth(refused)
    with pytest.raises(AuthenticationError) as caught:
        async with Transport(provider="p", base_url="http://127.0.0.1:9", auth=auth) as transport:
            await transport.send(Request("GET", "x"))
    assert caught.value is refused


@pytest.mark.parametrize("value", ["key\n", "a\r\nX-Injected: 1", "k\0"])
async def test_header_with_a_line_break_is_a_configuration_error_and_not_sent(value: str) -> None:
    hits: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        return web.json_response({})

    server = await _serve(handler)
    try:
        async with Transport(provider="p", base_url=server.origin) as transport:
            with pytest.raises(ConfigurationError) as caught:
                await transport.request(Request("GET", "x", headers={"XApiKey": value}))
    finally:
        await server.stop()
    assert hits == []
    assert value not in str(caught.value)


# -- every failure typed --------------------------------------------------------------------------


class RaisingSession:
    """Stands in for an aiohttp session whose request fails with `error`."""

    closed = False

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def request(self, *args: object, **kwargs: object) -> Any:
        raise self.error


def _request_info() -> aiohttp.RequestInfo:
    url = URL("http://127.0.0.1/x")
    return aiohttp.RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (asyncio.TimeoutError(), RequestTimeoutError),
        (aiohttp.ServerTimeoutError(), RequestTimeoutError),
        (aiohttp.ServerDisconnectedError(), ConnectionFailedError),
        (aiohttp.ClientPayloadError("truncated"), ConnectionFailedError),
        (ConnectionResetError(), ConnectionFailedError),
        (aiohttp.TooManyRedirects(_request_info(), ()), ProtocolError),
        (aiohttp.ClientResponseError(_request_info(), (), status=400), ProtocolError),
        (aiohttp.InvalidURL("http://[::1"), TransportError),
        (RecursionError(), ProtocolError),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), ProtocolError),
        (LookupError("charset"), ProtocolError),
    ],
    ids=lambda v: type(v).__name__,
)
async def test_every_failure_of_an_exchange_is_a_transport_error(
    error: BaseException, expected: type[TransportError]
) -> None:
    session: Any = RaisingSession(error)
    transport = Transport(provider="p", base_url="http://127.0.0.1", session=session, retry=FAST)
    with pytest.raises(expected):
        await transport.request(Request("GET", "x"))


async def test_cancellation_is_not_turned_into_an_error() -> None:
    session: Any = RaisingSession(asyncio.CancelledError())
    transport = Transport(provider="p", base_url="http://127.0.0.1", session=session)
    with pytest.raises(asyncio.CancelledError):
        await transport.request(Request("GET", "x"))


async def test_compressed_body_inflating_past_the_limit_is_refused() -> None:
    # Its Content-Length (the compressed size) is under the limit; what it inflates to is not.
    async def handler(request: web.Request) -> web.StreamResponse:
        body = zlib.compress(b"[" + b" " * 100_000 + b"]")
        return web.Response(
            body=body, headers={"Content-Encoding": "deflate", "Content-Type": "application/json"}
        )

    server = await _serve(handler)
    try:
        with pytest.raises(ResponseTooLargeError) as caught:
            await _get(server, max_response_bytes=1000)
    finally:
        await server.stop()
    assert caught.value.limit == 1000


async def test_compressed_body_under_the_limit_is_read() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = zlib.compress(b'{"amount": 1.10}')
        return web.Response(
            body=body, headers={"Content-Encoding": "deflate", "Content-Type": "application/json"}
        )

    server = await _serve(handler)
    try:
        response = await _get(server, max_response_bytes=1000)
    finally:
        await server.stop()
    assert response.body == {"amount": Decimal("1.10")}
