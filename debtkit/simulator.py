"""The simulator harness: what every provider simulator shares.

- `WindowLimiter`: a provider-side request counter over a sliding or fixed window, answering
  "may this request pass, and if not, for how long must the caller wait".
- `Faults` and `fault_middleware`: latency and failure injection (5xx, reset connections, a
  commit whose response is lost, a commit answered 2xx with a body that cannot be read, slow
  responses), reproducible from a seed.
- `SimulatorServer`: runs an `aiohttp.web.Application` on loopback as an async context
  manager and tells its base URL.

Time compression is done by scaling windows (`RateLimit.scaled`), so every duration a
simulator reports (`retry_after`, reset times) is in real seconds and a client needs no
special clock to talk to it.
"""

from __future__ import annotations

import asyncio
import collections
import json
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import Literal

import attrs
from aiohttp import web

from debtkit.plugin import RateLimit

__all__ = [
    "BASE_PATH",
    "CREDENTIALS",
    "MALFORMED_SHAPES",
    "Faults",
    "SimulatorServer",
    "WindowLimiter",
    "fault_middleware",
]


CREDENTIALS = web.AppKey("debtkit.simulator.credentials", dict)
"""Every simulator app stores the credentials it accepts under this key, in the form its
adapter's `connect()` takes, so demos and tests can connect without knowing the provider."""

BASE_PATH = web.AppKey("debtkit.simulator.base_path", str)
"""The path the simulated API lives under (``/external-api/v1``); the base URL is the
server's origin plus this. Absent means the API is at the root."""


class WindowLimiter:
    """Counts admitted requests for one `RateLimit`, as the provider's server would.

    A sliding limit with a `segment` is counted the way `RateLimit` documents it, the strictest
    reading of "sliding window, 10-s segments": segments are aligned to multiples of the
    segment since the Unix epoch, a request belongs to the segment in which it arrived, and
    it counts until that segment's end plus the window (between 60 and 70 s for Debitura's
    minute), so the window always spans whole segments and a request is never forgotten
    early.
    """

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.time) -> None:
        self.rule = limit
        self._clock = clock
        self._admitted: collections.deque[float] = collections.deque()
        self._fixed_start = 0.0
        self._fixed_count = 0

    @property
    def kind(self) -> Literal["sliding", "fixed"]:
        return self.rule.kind

    def _roll(self, now: float) -> None:
        if self.rule.kind == "sliding":
            released = self.rule.released
            while self._admitted and released(self._admitted[0]) <= now:
                self._admitted.popleft()
        else:
            start = math.floor(now / self.rule.window) * self.rule.window
            if start != self._fixed_start:
                self._fixed_start, self._fixed_count = start, 0

    def used(self, now: float | None = None) -> int:
        now = self._clock() if now is None else now
        self._roll(now)
        return len(self._admitted) if self.rule.kind == "sliding" else self._fixed_count

    def remaining(self, now: float | None = None) -> int:
        return max(self.rule.limit - self.used(now), 0)

    def reset_at(self, now: float | None = None) -> float:
        """When the next unit frees up (sliding) or the window ends (fixed), epoch seconds."""
        now = self._clock() if now is None else now
        self._roll(now)
        if self.rule.kind == "fixed":
            return self._fixed_start + self.rule.window
        if self._admitted:
            return self.rule.released(self._admitted[0])
        return now

    def retry_after(self, now: float | None = None) -> float:
        now = self._clock() if now is None else now
        return max(self.reset_at(now) - now, 0.0)

    def try_acquire(self) -> bool:
        now = self._clock()
        if self.used(now) >= self.rule.limit:
            return False
        if self.rule.kind == "sliding":
            self._admitted.append(now)
        else:
            self._fixed_count += 1
        return True


@attrs.define
class Faults:
    """Probabilities per request, each drawn independently from one seeded generator.

    - `server_error`: answer 500 without doing anything;
    - `reset`: drop the connection before doing anything;
    - `lost_response`: do the work (commit), then drop the connection;
    - `malformed_response`: do the work, then answer its 2xx status with a body that cannot
      be read, each of `MALFORMED_SHAPES` in turn (a refusal is left as it is);
    - `timeout`: do the work, then stall for `stall` seconds before answering;
    - `latency`: added to every request, in seconds.
    """

    server_error: float = 0.0
    reset: float = 0.0
    lost_response: float = 0.0
    malformed_response: float = 0.0
    timeout: float = 0.0
    latency: float = 0.0
    stall: float = 30.0
    seed: int | None = None
    only_paths: tuple[str, ...] = ()  # path prefixes the faults apply to; empty means all
    only_methods: tuple[str, ...] = ()  # HTTP methods the faults apply to; empty means all
    # How many of each fault were served, by kind ("malformed_response:truncated", ...).
    served: collections.Counter[str] = attrs.field(init=False, factory=collections.Counter)
    _rng: random.Random = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def roll(self, probability: float, kind: str = "") -> bool:
        hit = probability > 0 and self._rng.random() < probability
        if hit and kind:
            self.served[kind] += 1
        return hit

    def next_malformed_shape(self) -> str:
        """The `MALFORMED_SHAPES` in turn, so that a few faults already serve every shape."""
        served = sum(n for kind, n in self.served.items() if kind.startswith("malformed"))
        return MALFORMED_SHAPES[served % len(MALFORMED_SHAPES)]

    def applies_to(self, path: str, method: str = "GET") -> bool:
        return (not self.only_paths or path.startswith(self.only_paths)) and (
            not self.only_methods or method.upper() in self.only_methods
        )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MALFORMED_SHAPES = (
    "error_true",  # {"error": true} with the 2xx status
    "empty",  # no body at all
    "truncated",  # the real JSON body cut in half
    "wrong_types",  # the real object with every non-boolean member turned into a string
    "not_an_object",  # a JSON array
    "not_json",  # plain text
)
"""How `Faults.malformed_response` spoils an answer, in turn; each is a 2xx no client can read
as the provider's documented shape."""


def _malformed_body(shape: str, real: bytes) -> bytes:
    if shape == "error_true":
        return b'{"error": true}'
    if shape == "empty":
        return b""
    if shape == "truncated":
        return real[: max(len(real) // 2, 1)]
    if shape == "wrong_types":
        try:
            parsed = json.loads(real)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            spoiled = {k: v if isinstance(v, bool) else str(v) for k, v in parsed.items()}
            return json.dumps(spoiled).encode()
        return b'{"data": "wrong"}'
    if shape == "not_an_object":
        return b"[]"
    return b"OK"


def _malformed(faults: Faults, response: web.StreamResponse) -> web.StreamResponse:
    if not 200 <= response.status < 300:
        return response  # a refusal did no work; spoiling it would not model a commit
    real = response.body if isinstance(response, web.Response) else None
    shape = faults.next_malformed_shape()
    faults.served[f"malformed_response:{shape}"] += 1
    body = _malformed_body(shape, real if isinstance(real, bytes) else b"{}")
    return web.Response(status=response.status, body=body, content_type="application/json")


def _drop_connection(request: web.Request) -> web.StreamResponse:
    if request.transport is not None:
        request.transport.abort()
    # Nothing reaches the client; this response only ends the handler cleanly.
    return web.Response(status=499)


def fault_middleware(
    faults: Faults,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """An aiohttp middleware injecting `faults`; install it outermost."""

    @web.middleware
    async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if not faults.applies_to(request.path, request.method):
            return await handler(request)
        if faults.roll(faults.reset, "reset"):
            return _drop_connection(request)
        if faults.roll(faults.server_error, "server_error"):
            return web.json_response(
                {"error": True, "message": "Internal server error (injected)", "code": 500},
                status=500,
            )
        response = await handler(request)
        if faults.roll(faults.lost_response, "lost_response"):
            return _drop_connection(request)
        if faults.roll(faults.malformed_response):
            return _malformed(faults, response)
        if faults.roll(faults.timeout, "timeout"):
            await asyncio.sleep(faults.stall)
        return response

    return inject


class SimulatorServer:
    """Serve `app` on loopback for the duration of an ``async with`` block."""

    def __init__(self, app: web.Application, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Where the simulated API lives: the origin plus the app's `BASE_PATH`."""
        return self.origin + self.app.get(BASE_PATH, "")

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            server = site._server
            sockets = getattr(server, "sockets", None) or []
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
