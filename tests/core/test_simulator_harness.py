from __future__ import annotations

import pytest
from aiohttp import web

from debtkit import ConnectionFailedError, RateLimit, ServerError
from debtkit.simulator import Faults, SimulatorServer, WindowLimiter, fault_middleware
from debtkit.transport import Request, Transport


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_sliding_window_admits_the_limit_then_waits_for_the_oldest() -> None:
    clock = FakeClock()
    limiter = WindowLimiter(RateLimit("w", 3, 10.0), clock)
    assert [limiter.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after() == pytest.approx(10.0)
    clock.now += 10.0
    assert limiter.try_acquire()


def test_fixed_window_resets_on_the_boundary() -> None:
    clock = FakeClock(3600.0 * 100 + 3500)
    limiter = WindowLimiter(RateLimit("h", 2, 3600.0, kind="fixed"), clock)
    assert [limiter.try_acquire() for _ in range(3)] == [True, True, False]
    assert limiter.retry_after() == pytest.approx(100.0)
    clock.now += 100.0
    assert limiter.try_acquire()


def test_scaled_limit_compresses_the_window() -> None:
    assert RateLimit("w", 500, 3600.0).scaled(3600).window == 1.0


async def _app_with(faults: Faults) -> tuple[web.Application, list[str]]:
    done: list[str] = []

    async def commit(request: web.Request) -> web.Response:
        done.append("committed")
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[fault_middleware(faults)])
    app.router.add_post("/debts", commit)
    return app, done


async def test_lost_response_commits_but_the_client_sees_a_dropped_connection() -> None:
    app, done = await _app_with(Faults(lost_response=1.0))
    async with (
        SimulatorServer(app) as server,
        Transport(provider="sim", base_url=server.origin) as transport,
    ):
        with pytest.raises(ConnectionFailedError):
            await transport.request(Request("POST", "debts", json={}))
    assert done == ["committed"]


async def test_reset_drops_the_connection_before_any_work() -> None:
    app, done = await _app_with(Faults(reset=1.0))
    async with (
        SimulatorServer(app) as server,
        Transport(provider="sim", base_url=server.origin) as transport,
    ):
        with pytest.raises(ConnectionFailedError):
            await transport.request(Request("POST", "debts", json={}))
    assert done == []


async def test_injected_server_error_does_no_work() -> None:
    app, done = await _app_with(Faults(server_error=1.0))
    async with (
        SimulatorServer(app) as server,
        Transport(provider="sim", base_url=server.origin) as transport,
    ):
        with pytest.raises(ServerError):
            await transport.request(Request("POST", "debts", json={}))
    assert done == []
