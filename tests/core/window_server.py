"""A generic provider stand-in on loopback: one rate limit enforced by the simulator's
`WindowLimiter`, a log of every request it counted and every one it refused, and optionally
GetBill-style `X-RateLimit-*` headers (with the adapter-side parser for them)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence

import aiohttp
import attrs
from aiohttp import web

from debtkit import RateLimit, RateObservation
from debtkit.simulator import WindowLimiter
from debtkit.transport import Response

CONSUMER = "X-Consumer"  # who sent a request, so the log can tell debtkit from a foreign client


@attrs.define
class WindowServer:
    rule: RateLimit
    send_headers: bool = False
    counted: list[tuple[float, str]] = attrs.field(factory=list)  # (server time, consumer)
    refused: list[tuple[float, str]] = attrs.field(factory=list)
    limiter: WindowLimiter = attrs.field(init=False)
    now: float = attrs.field(init=False, default=0.0)

    def __attrs_post_init__(self) -> None:
        # One reading of the clock per request, so the log holds exactly the limiter's times.
        self.limiter = WindowLimiter(self.rule, clock=lambda: self.now)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        consumer = request.headers.get(CONSUMER, "debtkit")
        self.now = now = time.time()
        if self.limiter.try_acquire():
            self.counted.append((now, consumer))
            status, body = 200, {"ok": True}
        else:
            self.refused.append((now, consumer))
            status, body = 429, {"message": "Rate limit exceeded"}
        headers = {"Retry-After": f"{self.limiter.retry_after():.3f}"} if status == 429 else {}
        if self.send_headers:
            headers.update(
                {
                    "X-RateLimit-Limit": str(self.rule.limit),
                    "X-RateLimit-Remaining": str(self.limiter.remaining()),
                    "X-RateLimit-Reset": f"{self.limiter.reset_at():.6f}",
                    "X-RateLimit-Window": f"{self.rule.window:g}",
                }
            )
        return web.json_response(body, status=status, headers=headers)

    def times(self, consumer: str | None = None) -> list[float]:
        return [t for t, who in self.counted if consumer is None or who == consumer]

    def refused_by(self, consumer: str) -> int:
        return sum(1 for _, who in self.refused if who == consumer)


def parse_rate_headers(response: Response) -> RateObservation | None:
    """What an adapter's `parse_rate_headers` does for GetBill-style headers."""
    headers = response.headers
    try:
        return RateObservation(
            limit=int(headers["X-RateLimit-Limit"]),
            remaining=int(headers["X-RateLimit-Remaining"]),
            reset_at=float(headers["X-RateLimit-Reset"]),
            window=float(headers["X-RateLimit-Window"]),
        )
    except (KeyError, ValueError):
        return None


async def until_counted(server: WindowServer, count: int, consumer: str = "debtkit") -> None:
    """Wait until `server` has counted `count` requests from `consumer`: a count, not a
    duration, so a slow machine takes longer instead of failing. Two minutes at most."""
    for _ in range(2400):
        if len(server.times(consumer)) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the server counted {len(server.times(consumer))} of {count} requests")


async def foreign_consumer(origin: str, per_window: int, window: float) -> None:
    """Another client of the same account, knowing nothing of debtkit: it spends `per_window`
    requests per window on a steady schedule, and like any sane client retries a 429 after
    its Retry-After."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with aiohttp.ClientSession() as session:
        for n in itertools.count():
            await asyncio.sleep(max(started + n * window / per_window - loop.time(), 0))
            while True:
                async with session.get(f"{origin}/items", headers={CONSUMER: "foreign"}) as r:
                    await r.read()
                if r.status != 429:
                    break
                await asyncio.sleep(float(r.headers["Retry-After"]))


async def stop(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
