"""A hostile provider on loopback, with one switchable misbehaviour at a time.

`HostileServer` answers every path of both providers (GetBill's ``/token`` and
``/external-api/v1/...``, Debitura's ``/api/...``). Healthy, it grants tokens and answers every
API call with a 404, an answer each client turns into a typed result. `serve(m)` makes it
misbehave in way `m` on the requests `m` targets (the API or the token endpoint), for every such
request or only the next `times`. Beside it runs `ForeignServer`, another origin (another
port) that the redirects point at and that records every header and body it receives, so a
test can prove no credential ever reached it.

To add a misbehaviour: a member of `Misbehaviour` and its `Behaviour` in `BEHAVIOURS` (a
handler taking the server and the request). Handlers must end promptly once the client has
gone: stalls poll the connection instead of sleeping blindly.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
from aiohttp import web

from debtkit.simulator import SimulatorServer

__all__ = [
    "BEHAVIOURS",
    "DEBITURA_PATH",
    "GETBILL_PATH",
    "Behaviour",
    "ForeignServer",
    "HostileServer",
    "Misbehaviour",
    "Received",
]

GETBILL_PATH = "/external-api/v1"
DEBITURA_PATH = "/api"
TOKEN_PATH = "/token"
HUGE_BODY_BYTES = 100 * 1024 * 1024
DEEP_JSON = b"[" * 200_000
STALL_LIMIT = 30.0  # seconds a stalled handler lives at most, should a client never go away
NOT_HTTP = b"\x00\xff\xfeSSH-2.0-OpenSSH_9.6 garbage\r\n\x1b[31m\r\n\r\n"


class Misbehaviour(enum.Enum):
    RETRY_AFTER_HUGE = "429 with Retry-After: 99999999"
    RETRY_AFTER_INFINITE = "429 with Retry-After: 1e309"
    RETRY_AFTER_IN_BODY = "429 with details.retry_after / retryAfter 1e12 in the body"
    RATE_RESET_FAR = "429 with X-RateLimit-Reset a billion seconds ahead"
    RATE_HEADERS_ABSURD = "404 with a window and a reset a billion seconds long"
    TOKEN_502 = "token endpoint answers 502"
    TOKEN_EXPIRES_ZERO = "token with expires_in 0"
    TOKEN_EXPIRES_NEGATIVE = "token with expires_in -5"
    TOKEN_EXPIRES_ABSENT = "token without expires_in"
    TOKEN_REDIRECT_307 = "token endpoint redirects (307) to another origin"
    REDIRECT_302 = "302 to another origin"
    REDIRECT_307 = "307 to another origin"
    REDIRECT_308 = "308 to another origin"
    REDIRECT_LOOP = "302 to the same URL"
    HUGE_BODY = "200 with a 100 MB body streamed, no length declared"
    HUGE_BODY_DECLARED = "200 declaring Content-Length of 100 MB"
    DEEP_JSON = "200 with a body of 200,000 '['"
    NOT_HTTP = "raw bytes that are not HTTP"
    STALL = "never answers"
    STALL_MID_BODY = "sends headers and part of the body, then stalls"
    TRUNCATED_BODY = "declares 1,000 bytes, sends 10, closes"
    RESET = "connection reset (RST)"


Handler = Callable[["HostileServer", web.Request], Awaitable[web.StreamResponse]]


@attrs.frozen
class Behaviour:
    target: str  # "api" or "token": which requests misbehave
    handler: Handler


@attrs.frozen
class Received:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


# -- handlers ------------------------------------------------------------------------------------


def _rate_limited(headers: Mapping[str, str], body: Mapping[str, Any] | None = None) -> Handler:
    async def handle(server: HostileServer, request: web.Request) -> web.StreamResponse:
        payload = {"message": "Too many requests", "status": 429, **(body or {})}
        return web.json_response(payload, status=429, headers=dict(headers))

    return handle


def _far_reset(status: int, **others: str) -> Handler:
    async def handle(server: HostileServer, request: web.Request) -> web.StreamResponse:
        headers = {f"X-RateLimit-{k}": v for k, v in others.items()}
        headers["X-RateLimit-Reset"] = f"{time.time() + 1e9:.0f}"
        return web.json_response({"message": "limited"}, status=status, headers=headers)

    return handle


def _token(**fields: Any) -> Handler:
    async def handle(server: HostileServer, request: web.Request) -> web.StreamResponse:
        server.tokens_granted += 1
        body = {"access_token": f"tok-{server.tokens_granted}", "token_type": "Bearer", **fields}
        return web.json_response({k: v for k, v in body.items() if v is not None})

    return handle


async def _bad_gateway(server: HostileServer, request: web.Request) -> web.StreamResponse:
    return web.json_response({"error": "bad_gateway"}, status=502)


def _redirect(status: int, *, loop: bool = False) -> Handler:
    async def handle(server: HostileServer, request: web.Request) -> web.StreamResponse:
        origin = server.origin if loop else server.foreign.origin
        return web.Response(status=status, headers={"Location": origin + request.path_qs})

    return handle


async def _huge_body(server: HostileServer, request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    await response.prepare(request)
    chunk = b" " * (1024 * 1024)
    try:
        for _ in range(HUGE_BODY_BYTES // len(chunk)):
            await response.write(chunk)
    except (ConnectionError, RuntimeError):  # the client stopped reading: expected
        pass
    return response


async def _huge_declared(server: HostileServer, request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.content_length = HUGE_BODY_BYTES
    await response.prepare(request)
    with contextlib.suppress(ConnectionError, RuntimeError):
        await response.write(b" " * 1024)
    _abort(request)
    return response


async def _deep_json(server: HostileServer, request: web.Request) -> web.StreamResponse:
    return web.Response(body=DEEP_JSON, content_type="application/json")


async def _not_http(server: HostileServer, request: web.Request) -> web.StreamResponse:
    if request.transport is not None:
        request.transport.write(NOT_HTTP)
        request.transport.close()
    return web.Response(status=499)  # never reaches the client; ends the handler


async def _stall(server: HostileServer, request: web.Request) -> web.StreamResponse:
    await _until_gone(request)
    return web.Response(status=499)


async def _stall_mid_body(server: HostileServer, request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.content_length = 1000
    await response.prepare(request)
    await response.write(b'{"data": ')
    await _until_gone(request)
    _abort(request)
    return response


async def _truncated(server: HostileServer, request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.content_length = 1000
    await response.prepare(request)
    await response.write(b'{"data": [')
    _abort(request)
    return response


async def _reset(server: HostileServer, request: web.Request) -> web.StreamResponse:
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:  # linger 0: close() sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=499)


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


async def _until_gone(request: web.Request) -> None:
    deadline = time.monotonic() + STALL_LIMIT
    while time.monotonic() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(0.02)


BEHAVIOURS: Mapping[Misbehaviour, Behaviour] = {
    Misbehaviour.RETRY_AFTER_HUGE: Behaviour("api", _rate_limited({"Retry-After": "99999999"})),
    Misbehaviour.RETRY_AFTER_INFINITE: Behaviour("api", _rate_limited({"Retry-After": "1e309"})),
    Misbehaviour.RETRY_AFTER_IN_BODY: Behaviour(
        "api", _rate_limited({}, {"details": {"retry_after": 1e12}, "retryAfter": 1e12})
    ),
    Misbehaviour.RATE_RESET_FAR: Behaviour("api", _far_reset(429)),
    Misbehaviour.RATE_HEADERS_ABSURD: Behaviour(
        "api", _far_reset(404, Limit="10", Remaining="9", Window="1e9")
    ),
    Misbehaviour.TOKEN_502: Behaviour("token", _bad_gateway),
    Misbehaviour.TOKEN_EXPIRES_ZERO: Behaviour("token", _token(expires_in=0)),
    Misbehaviour.TOKEN_EXPIRES_NEGATIVE: Behaviour("token", _token(expires_in=-5)),
    Misbehaviour.TOKEN_EXPIRES_ABSENT: Behaviour("token", _token()),
    Misbehaviour.TOKEN_REDIRECT_307: Behaviour("token", _redirect(307)),
    Misbehaviour.REDIRECT_302: Behaviour("api", _redirect(302)),
    Misbehaviour.REDIRECT_307: Behaviour("api", _redirect(307)),
    Misbehaviour.REDIRECT_308: Behaviour("api", _redirect(308)),
    Misbehaviour.REDIRECT_LOOP: Behaviour("api", _redirect(302, loop=True)),
    Misbehaviour.HUGE_BODY: Behaviour("api", _huge_body),
    Misbehaviour.HUGE_BODY_DECLARED: Behaviour("api", _huge_declared),
    Misbehaviour.DEEP_JSON: Behaviour("api", _deep_json),
    Misbehaviour.NOT_HTTP: Behaviour("api", _not_http),
    Misbehaviour.STALL: Behaviour("api", _stall),
    Misbehaviour.STALL_MID_BODY: Behaviour("api", _stall_mid_body),
    Misbehaviour.TRUNCATED_BODY: Behaviour("api", _truncated),
    Misbehaviour.RESET: Behaviour("api", _reset),
}

_HEALTHY_TOKEN = _token(expires_in=3600)


# -- servers -------------------------------------------------------------------------------------


class ForeignServer:
    """Another origin: answers 200 to anything and records what it received."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = SimulatorServer(app)

    @property
    def origin(self) -> str:
        return self._server.origin

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append(Received(request.method, request.path, dict(request.headers), body))
        return web.json_response({"ok": True})

    async def __aenter__(self) -> ForeignServer:
        await self._server.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._server.stop()


class HostileServer:
    """Both providers' paths on one loopback origin, misbehaving as told (see the module)."""

    def __init__(self) -> None:
        self.foreign = ForeignServer()
        self.misbehaviour: Misbehaviour | None = None
        self._remaining: int | None = None
        self.served: collections.Counter[Misbehaviour] = collections.Counter()
        self.requests: list[tuple[str, str]] = []  # (method, raw path) of every API request
        self.token_requests = 0
        self.tokens_granted = 0
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = SimulatorServer(app)

    @property
    def origin(self) -> str:
        return self._server.origin

    @property
    def getbill_url(self) -> str:
        return self.origin + GETBILL_PATH

    @property
    def debitura_url(self) -> str:
        return self.origin + DEBITURA_PATH

    def serve(self, misbehaviour: Misbehaviour | None, *, times: int | None = None) -> None:
        """Misbehave in this way on every request it targets, or on the next `times` only;
        None: healthy."""
        self.misbehaviour = misbehaviour
        self._remaining = times

    def _behaviour(self, target: str) -> Behaviour | None:
        if self.misbehaviour is None or self._remaining == 0:
            return None
        behaviour = BEHAVIOURS[self.misbehaviour]
        if behaviour.target != target:
            return None
        if self._remaining is not None:
            self._remaining -= 1
        self.served[self.misbehaviour] += 1
        return behaviour

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        target = "token" if request.path == TOKEN_PATH else "api"
        if target == "token":
            self.token_requests += 1
        else:
            self.requests.append((request.method, request.raw_path))
        behaviour = self._behaviour(target)
        if behaviour is not None:
            return await behaviour.handler(self, request)
        if target == "token":
            return await _HEALTHY_TOKEN(self, request)
        return web.json_response({"message": "Not found", "status": 404}, status=404)

    async def __aenter__(self) -> HostileServer:
        await self.foreign.__aenter__()
        await self._server.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._server.stop()
        await self.foreign.__aexit__(*exc_info)
