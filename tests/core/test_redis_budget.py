"""The Redis-backed shared budget, against a real redis-server started on loopback."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from debtkit import ConfigurationError, RateLimit, RateObservation
from debtkit.budget import Budget
from debtkit.budget.redis_books import shared_budget
from debtkit.simulator import SimulatorServer
from debtkit.transport import Request, Response, Transport
from tests.core.virtual_time import max_in_fixed_window, max_in_rolling_window
from tests.core.window_server import (
    WindowServer,
    foreign_consumer,
    parse_rate_headers,
    stop,
    until_counted,
)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk_live_very_secret_value"
READ = Request("GET", "items")


@pytest.fixture
def namespace() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def budget_on(redis_url: str, namespace: str, *limits: RateLimit, **options: object) -> Budget:
    return shared_budget(
        redis_url,
        provider="loop",
        credentials={"api_key": SECRET},
        limits=limits,
        namespace=namespace,
        poll=0.05,
        **options,  # type: ignore[arg-type]
    )


def ok(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response("GET", "/items", status, headers or {}, None, None, 0.0)


async def run_callers(
    transports: list[Transport], tasks: int, server: WindowServer, count: int
) -> None:
    """Callers on every transport until `server` has counted `count` of their requests.

    Only what cannot depend on the machine's speed is asserted after it: no 429, no window
    over the limit. How much of the limit a shared budget uses is a figure of the machine."""

    async def caller(transport: Transport) -> None:
        while True:
            await transport.request(READ)

    callers = [asyncio.ensure_future(caller(t)) for t in transports for _ in range(tasks)]
    try:
        await until_counted(server, count)
    finally:
        await stop(callers)


async def test_two_budgets_on_one_redis_together_keep_a_sliding_limit(
    redis_url: str, namespace: str
) -> None:
    rule = RateLimit("all", 10, 0.5)
    server = WindowServer(rule)
    first, second = budget_on(redis_url, namespace, rule), budget_on(redis_url, namespace, rule)
    async with (
        SimulatorServer(server.app()) as simulator,
        Transport(provider="loop", base_url=simulator.origin, gate=first) as one,
        Transport(provider="loop", base_url=simulator.origin, gate=second) as two,
    ):
        await run_callers([one, two], tasks=4, server=server, count=3 * rule.limit + 1)
    await first.aclose()
    await second.aclose()
    assert server.refused == []
    assert max_in_rolling_window(server.times(), rule.window) <= rule.limit


async def test_a_fixed_window_is_shared_and_reopens_on_its_boundary(
    redis_url: str, namespace: str
) -> None:
    rule = RateLimit("window", 5, 0.5, kind="fixed")
    first, second = budget_on(redis_url, namespace, rule), budget_on(redis_url, namespace, rule)
    admitted: list[float] = []

    async def caller(budget: Budget) -> None:
        for _ in range(5):
            await budget.before_attempt(READ)
            admitted.append(time.time())
            budget.after_response(READ, ok())

    await asyncio.gather(caller(first), caller(second))
    await first.aclose()
    await second.aclose()
    assert max_in_fixed_window(admitted, rule.window) <= rule.limit
    # 10 attempts at 5 per window: the window reopened (a slow machine may take more).
    assert len({int(t // rule.window) for t in admitted}) >= 2


async def test_a_429_seen_by_one_process_pauses_the_others(redis_url: str, namespace: str) -> None:
    rule = RateLimit("all", 100, 60.0)
    first, second = budget_on(redis_url, namespace, rule), budget_on(redis_url, namespace, rule)
    await first.before_attempt(READ)
    first.after_response(READ, ok(429, {"Retry-After": "0.4"}))
    await first.books.settle()  # let the update land
    started = time.monotonic()
    await second.before_attempt(READ)
    assert time.monotonic() - started >= 0.3
    await first.aclose()
    await second.aclose()


async def test_foreign_use_seen_by_one_process_is_reserved_for_all(
    redis_url: str, namespace: str
) -> None:
    rule = RateLimit("all", 10, 60.0)

    def observe(response: Response) -> RateObservation:
        return RateObservation(10, 3, None, 60.0)  # 7 used: ours is 1, so 6 are someone else's

    first = budget_on(redis_url, namespace, rule, observe=observe, foreign_headroom=0)
    second = budget_on(redis_url, namespace, rule)
    await first.before_attempt(READ)
    first.after_response(READ, ok())
    await first.books.settle()
    usage = (await second.stats()).limits[0]
    assert (usage.in_use, usage.foreign) == (1, 6)
    await first.aclose()
    await second.aclose()


async def test_our_attempts_in_flight_that_the_server_counted_are_not_reserved_as_foreign(
    redis_url: str, namespace: str
) -> None:
    rule = RateLimit("all", 10, 60.0)

    def observe(response: Response) -> RateObservation:
        return RateObservation(10, 7, None, 60.0)  # 3 used: the 3 of ours, 2 still in flight

    first = budget_on(redis_url, namespace, rule, observe=observe)
    second = budget_on(redis_url, namespace, rule)
    await first.before_attempt(READ)
    # Two attempts in flight in another process (tasks of their own, answers still to come).
    await asyncio.gather(*(asyncio.ensure_future(second.before_attempt(READ)) for _ in range(2)))
    first.after_response(READ, ok())
    await first.books.settle()
    usage = (await second.stats()).limits[0]
    assert (usage.in_use, usage.foreign) == (3, 2)  # until the next observation, not a window
    await first.aclose()
    await second.aclose()


async def test_queued_callers_take_what_fits_and_cancelled_ones_give_their_slots_back(
    redis_url: str, namespace: str
) -> None:
    rule = RateLimit("all", 4, 60.0)
    budget = budget_on(redis_url, namespace, rule)
    waiting = [asyncio.ensure_future(budget.before_attempt(READ)) for _ in range(7)]
    await asyncio.sleep(0.5)
    admitted = [task for task in waiting if task.done()]
    await stop(waiting)
    await budget.books.settle()
    usage = (await budget.stats()).limits[0]
    assert (len(admitted), usage.in_use) == (4, 4)
    await budget.aclose()


async def test_a_new_limit_from_the_server_is_shared(redis_url: str, namespace: str) -> None:
    rule = RateLimit("all", 10, 60.0)
    first = budget_on(
        redis_url, namespace, rule, observe=lambda r: RateObservation(4, 3, None, 60.0)
    )
    second = budget_on(redis_url, namespace, rule)
    await first.before_attempt(READ)
    first.after_response(READ, ok())
    await first.books.settle()
    assert (await second.stats()).limits[0].limit == 4
    await first.aclose()
    await second.aclose()


async def test_keys_name_no_secret_and_all_expire(
    redis_url: str, namespace: str, redis: Redis
) -> None:
    budget = budget_on(redis_url, namespace, RateLimit("all", 10, 60.0))
    await budget.before_attempt(READ)
    budget.after_response(READ, ok(429, {"Retry-After": "5"}))
    await budget.aclose()
    keys = [key.decode() async for key in redis.scan_iter(f"{namespace}:*")]
    assert keys
    assert all(SECRET not in key for key in keys)
    ttls = [await redis.pttl(key) for key in keys]
    assert all(ttl > 0 for ttl in ttls)


def test_without_redis_py_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'debtkit\[redis\]'"):
        shared_budget(
            "redis://127.0.0.1:1/0", provider="p", credentials="k", limits=[RateLimit("a", 1, 1.0)]
        )


async def test_two_os_processes_sharing_a_budget_never_exceed_the_limit_together(
    redis_url: str, namespace: str
) -> None:
    rule = RateLimit("all", 20, 1.0)
    server = WindowServer(rule)
    async with SimulatorServer(server.app()) as simulator:
        start_at = time.time() + 2.0  # both interpreters up and connected before it
        # They run until stopped: the test waits for a count of requests, not a duration.
        args = [redis_url, simulator.origin, namespace, "20", "1.0", repr(start_at), "600"]
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.core.redis_worker", *args, cwd=ROOT
            )
            for _ in range(2)
        ]
        try:
            await until_counted(server, 3 * rule.limit + 1)
            still_running = [worker.returncode is None for worker in workers]
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.terminate()
            await asyncio.wait_for(
                asyncio.gather(*(worker.wait() for worker in workers)), timeout=30
            )
    assert still_running == [True, True]  # neither worker failed
    times = server.times()
    assert server.refused == []
    assert max_in_rolling_window(times, rule.window) <= rule.limit


async def test_a_shared_budget_for_an_adapter_takes_its_limits_with_the_plan_applied(
    redis_url: str, namespace: str
) -> None:
    from debtkit.budget.redis_books import shared_budget_for_adapter
    from tests.core.acme_adapter import AcmeAdapter

    budget = shared_budget_for_adapter(
        redis_url, AcmeAdapter(), {"api_key": SECRET}, overrides={"all": 25}, namespace=namespace
    )
    assert budget.limits == (RateLimit("all", 25, 1.0),)
    await budget.before_attempt(READ)
    assert (await budget.stats()).limits[0].in_use == 1
    await budget.aclose()


async def test_a_waiter_cancelled_while_redis_answers_gives_its_admission_back(
    redis_url: str, namespace: str
) -> None:
    budget = budget_on(redis_url, namespace, RateLimit("all", 5, 60.0))
    waiter = asyncio.ensure_future(budget.before_attempt(READ))
    await asyncio.sleep(0)  # the script is on its way
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.sleep(0.1)
    await budget.books.settle()
    assert (await budget.stats()).limits[0].in_use == 0
    await budget.aclose()


async def test_budgets_sharing_redis_beside_a_foreign_consumer_meet_no_429(
    redis_url: str, namespace: str
) -> None:
    rule = RateLimit("all", 40, 1.0)
    server = WindowServer(rule, send_headers=True)
    first = budget_on(redis_url, namespace, rule, observe=parse_rate_headers)
    second = budget_on(redis_url, namespace, rule, observe=parse_rate_headers)
    async with (
        SimulatorServer(server.app()) as simulator,
        Transport(provider="loop", base_url=simulator.origin, gate=first) as one,
        Transport(provider="loop", base_url=simulator.origin, gate=second) as two,
    ):
        other = asyncio.ensure_future(foreign_consumer(simulator.origin, 12, rule.window))
        await asyncio.sleep(rule.window)  # the other consumer was there first
        await run_callers([one, two], tasks=5, server=server, count=3 * (rule.limit - 12))
        await stop([other])
    await first.aclose()
    await second.aclose()
    assert server.refused_by("debtkit") == 0
    assert max_in_rolling_window(server.times(), rule.window) <= rule.limit
