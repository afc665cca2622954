"""The in-process rate budget, on virtual time: hours of traffic in milliseconds."""

from __future__ import annotations

import asyncio
import contextvars
import random
import sys
from collections.abc import Mapping, Sequence

import attrs
import pytest
from aiolimiter import AsyncLimiter
from hypothesis import given, settings
from hypothesis import strategies as st

from debtkit import ConfigurationError, RateLimit, RateObservation
from debtkit.budget import Budget, BudgetPool, apply_overrides, credential_fingerprint
from debtkit.simulator import SimulatorServer
from debtkit.transport import Request, Response, Transport
from tests.core.acme_adapter import AcmeAdapter
from tests.core.virtual_time import (
    EPOCH_START,
    VirtualTimeLoop,
    max_in_fixed_window,
    max_in_rolling_window,
    run_virtual,
)
from tests.core.window_server import (
    WindowServer,
    foreign_consumer,
    parse_rate_headers,
    stop,
    until_counted,
)

READ = Request("GET", "debts", request_class="read")
WRITE = Request("PUT", "debts/1", json={}, request_class="write")


def response(status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response("GET", "/debts", status, dict(headers or {}), None, None, 0.0)


def virtual_budget(loop: VirtualTimeLoop, limits: Sequence[RateLimit], **options: object) -> Budget:
    return Budget(limits, clock=loop.epoch, sleep=asyncio.sleep, **options)  # type: ignore[arg-type]


@attrs.frozen
class Attempt:
    request_class: str
    sent: float
    received: float  # when the simulated server counted it: somewhere in [sent, answered]
    answered: float


async def greedy(
    loop: VirtualTimeLoop,
    budget: Budget,
    *,
    tasks: int,
    until: float,
    latency: float,
    seed: int,
    classes: Sequence[str] = ("read",),
) -> list[Attempt]:
    """`tasks` callers that always have more work than fits, until `until`."""
    rng = random.Random(seed)
    log: list[Attempt] = []

    async def caller(i: int) -> None:
        request = READ if classes[i % len(classes)] == "read" else WRITE
        while loop.epoch() < until:
            await budget.before_attempt(request)
            sent = loop.epoch()
            took = rng.uniform(0, latency)
            await asyncio.sleep(took)
            log.append(
                Attempt(request.request_class, sent, sent + rng.uniform(0, took), sent + took)
            )
            budget.after_response(request, response())

    await asyncio.gather(*(caller(i) for i in range(tasks)))
    return log


def admitted_in_first_windows(log: Sequence[Attempt], window: float, windows: int) -> int:
    start = min(a.sent for a in log)
    return sum(1 for a in log if a.sent < start + windows * window)


def steady_utilisation(log: Sequence[Attempt], limit: int, window: float) -> float:
    """Window length over the mean time a slot takes to come round again (1.0: no slot idle)."""
    sent = sorted(a.sent for a in log)
    gaps = [sent[i + limit] - sent[i] for i in range(len(sent) - limit)]
    return window / (sum(gaps) / len(gaps))


@settings(max_examples=25, deadline=None)
@given(
    limit=st.integers(1, 120),
    window=st.sampled_from([1.0, 60.0, 3600.0]),
    tasks=st.integers(1, 40),
    latency=st.floats(0.0, 0.005),
    seed=st.integers(0, 2**16),
)
def test_sliding_limit_holds_in_every_rolling_window_and_is_used_to_99_percent(
    limit: int, window: float, tasks: int, latency: float, seed: int
) -> None:
    rule = RateLimit("all", limit, window)

    async def main(loop: VirtualTimeLoop) -> list[Attempt]:
        budget = virtual_budget(loop, [rule])
        return await greedy(
            loop,
            budget,
            tasks=tasks,
            until=loop.epoch() + 4 * window,
            latency=latency * window,
            seed=seed,
        )

    log = run_virtual(main)
    assert max_in_rolling_window([a.received for a in log], window) <= limit
    assert max_in_rolling_window([a.sent for a in log], window) <= limit
    assert admitted_in_first_windows(log, window, 3) >= 0.99 * 3 * limit
    if tasks >= limit:  # callers enough to keep every slot busy: no slot may sit idle
        assert steady_utilisation(log, limit, window) >= 0.99


@settings(max_examples=20, deadline=None)
@given(
    limit=st.integers(1, 120),
    window=st.sampled_from([60.0, 3600.0, 86400.0]),
    tasks=st.integers(1, 40),
    offset=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_fixed_limit_holds_in_every_aligned_window_and_is_used_to_99_percent(
    limit: int, window: float, tasks: int, offset: float, seed: int
) -> None:
    rule = RateLimit("all", limit, window, kind="fixed")

    async def main(loop: VirtualTimeLoop) -> tuple[float, list[Attempt]]:
        await asyncio.sleep(offset * window)  # start anywhere inside a window
        budget = virtual_budget(loop, [rule])
        first_full = (loop.epoch() // window + 1) * window
        log = await greedy(
            loop, budget, tasks=tasks, until=first_full + 3 * window, latency=0.001, seed=seed
        )
        return first_full, log

    # The three whole windows after the start (the first attempt may wait out a boundary).
    first_full, log = run_virtual(main)
    assert max_in_fixed_window([a.received for a in log], window) <= limit
    assert max_in_fixed_window([a.answered for a in log], window) <= limit
    in_full_windows = [a for a in log if first_full <= a.sent < first_full + 3 * window]
    assert len(in_full_windows) >= 0.99 * 3 * limit


def test_three_debitura_style_limits_hold_together() -> None:
    # Debitura's shape (per minute sliding, per hour and per day fixed), divided by 100.
    limits = [
        RateLimit("minute", 20, 60.0),
        RateLimit("hour", 200, 3600.0, kind="fixed"),
        RateLimit("day", 1000, 86400.0, kind="fixed"),
    ]

    async def main(loop: VirtualTimeLoop) -> list[Attempt]:
        budget = virtual_budget(loop, limits)
        return await greedy(
            loop,
            budget,
            tasks=25,
            until=loop.epoch() + 2 * 86400,
            latency=0.05,
            seed=5,
            classes=("read", "write"),
        )

    log = run_virtual(main)
    received = [a.received for a in log]
    assert max_in_rolling_window(received, 60.0) <= 20
    assert max_in_fixed_window(received, 3600.0) <= 200
    assert max_in_fixed_window(received, 86400.0) <= 1000
    # The day limit binds: both days fully used, nothing more.
    assert len([a for a in log if a.sent < EPOCH_START + 2 * 86400]) == 2000


def test_aiolimiter_admits_nearly_twice_the_limit_in_a_rolling_window_and_budget_does_not() -> None:
    limit, window = 500, 3600.0

    async def through_aiolimiter(loop: VirtualTimeLoop) -> list[float]:
        limiter = AsyncLimiter(limit, window)
        sent: list[float] = []

        async def caller() -> None:
            while loop.epoch() < EPOCH_START + 2 * window:
                async with limiter:
                    sent.append(loop.epoch())

        await asyncio.gather(*(caller() for _ in range(20)))
        return sent

    async def through_budget(loop: VirtualTimeLoop) -> list[float]:
        log = await greedy(
            loop,
            virtual_budget(loop, [RateLimit("w", limit, window)]),
            tasks=20,
            until=loop.epoch() + 2 * window,
            latency=0.0,
            seed=1,
        )
        return [a.sent for a in log]

    assert max_in_rolling_window(run_virtual(through_aiolimiter), window) >= 2 * limit - 2
    assert max_in_rolling_window(run_virtual(through_budget), window) == limit


def test_waiters_are_admitted_in_arrival_order() -> None:
    async def main(loop: VirtualTimeLoop) -> list[int]:
        budget = virtual_budget(loop, [RateLimit("w", 1, 10.0)])
        order: list[int] = []

        async def caller(i: int) -> None:
            await budget.before_attempt(READ)
            order.append(i)
            budget.after_response(READ, response())

        callers = []
        for i in range(5):
            callers.append(asyncio.ensure_future(caller(i)))
            await asyncio.sleep(0.001)
        await asyncio.gather(*callers)
        return order

    assert run_virtual(main) == [0, 1, 2, 3, 4]


def test_a_cancelled_waiter_takes_no_slot_and_blocks_nobody() -> None:
    async def main(loop: VirtualTimeLoop) -> tuple[list[float], int]:
        budget = virtual_budget(loop, [RateLimit("w", 1, 10.0)], skew_margin=0.0)
        await budget.before_attempt(READ)
        budget.after_response(READ, response())  # the slot is busy until t0 + 10
        first = asyncio.ensure_future(budget.before_attempt(READ))
        await asyncio.sleep(1)
        admitted: list[float] = []

        async def second() -> None:
            await budget.before_attempt(READ)
            admitted.append(loop.epoch() - EPOCH_START)

        waiter = asyncio.ensure_future(second())
        await asyncio.sleep(1)
        first.cancel()
        await waiter
        stats = await budget.stats()
        return admitted, stats.admitted["read"]

    admitted, count = run_virtual(main)
    assert admitted == [pytest.approx(10.0)]  # at the first free moment, not later
    assert count == 2  # the cancelled waiter was never admitted


def test_a_slot_is_held_until_a_window_after_the_answer() -> None:
    async def main(loop: VirtualTimeLoop) -> float:
        budget = virtual_budget(loop, [RateLimit("w", 1, 10.0)], skew_margin=0.001)
        await budget.before_attempt(READ)
        await asyncio.sleep(2.0)  # a slow answer: the server may have counted it at t0 + 2
        budget.after_response(READ, response())
        await budget.before_attempt(READ)
        return loop.epoch() - EPOCH_START

    assert run_virtual(main) == pytest.approx(2.0 + 10.0 + 0.01)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tasks share a context from 3.11 on")
def test_tasks_sharing_one_context_each_give_their_own_slot_back() -> None:
    async def main(loop: VirtualTimeLoop) -> float:
        budget = virtual_budget(loop, [RateLimit("w", 2, 10.0)], skew_margin=0.0)
        shared = contextvars.copy_context()

        async def attempt(took: float) -> None:
            await budget.before_attempt(READ)
            await asyncio.sleep(took)
            budget.after_response(READ, response())

        await asyncio.gather(
            loop.create_task(attempt(1.0), context=shared),  # type: ignore[call-arg]
            loop.create_task(attempt(2.0), context=shared),  # type: ignore[call-arg]
        )
        await budget.before_attempt(READ)
        await budget.before_attempt(READ)
        return loop.epoch() - EPOCH_START

    # Both slots come back a window after their answers, not after the open-ticket TTL.
    assert run_virtual(main) == pytest.approx(2.0 + 10.0)


def test_the_fast_path_never_admits_past_the_limit_between_full_checks() -> None:
    async def main(loop: VirtualTimeLoop) -> list[float]:
        budget = virtual_budget(loop, [RateLimit("w", 3, 10.0)], skew_margin=0.0)
        admitted = []
        for _ in range(7):
            await budget.before_attempt(READ)
            admitted.append(loop.epoch() - EPOCH_START)
            budget.after_response(READ, response())
        return admitted

    assert run_virtual(main) == pytest.approx([0, 0, 0, 10, 10, 10, 20])


def test_a_429_pauses_every_caller_of_the_limit_until_retry_after() -> None:
    async def main(loop: VirtualTimeLoop) -> list[float]:
        budget = virtual_budget(loop, [RateLimit("all", 100, 60.0)])
        await budget.before_attempt(READ)
        budget.after_response(READ, response(429, {"Retry-After": "7"}))
        admitted: list[float] = []

        async def caller(request: Request) -> None:
            await budget.before_attempt(request)
            admitted.append(loop.epoch() - EPOCH_START)
            budget.after_response(request, response())

        await asyncio.gather(*(caller(r) for r in (READ, WRITE, READ)))
        return admitted

    assert run_virtual(main) == [pytest.approx(7.0)] * 3


def test_a_429_on_writes_leaves_reads_with_their_own_limit_alone() -> None:
    limits = [
        RateLimit("write", 5, 3600.0, request_classes=frozenset({"write"})),
        RateLimit("read", 10, 3600.0, request_classes=frozenset({"read"})),
    ]

    async def main(loop: VirtualTimeLoop) -> tuple[float, float]:
        budget = virtual_budget(loop, limits)
        await budget.before_attempt(WRITE)
        budget.after_response(WRITE, response(429, {"Retry-After": "30"}))
        await budget.before_attempt(READ)
        read_at = loop.epoch() - EPOCH_START
        await budget.before_attempt(WRITE)
        return read_at, loop.epoch() - EPOCH_START

    assert run_virtual(main) == (0.0, pytest.approx(30.0))


def test_a_429_wait_read_by_the_adapter_pauses_the_budget() -> None:
    async def main(loop: VirtualTimeLoop) -> float:
        budget = virtual_budget(loop, [RateLimit("all", 100, 60.0)], retry_after=lambda r: 12.5)
        await budget.before_attempt(READ)
        budget.after_response(READ, response(429))
        await budget.before_attempt(READ)
        return loop.epoch() - EPOCH_START

    assert run_virtual(main) == pytest.approx(12.5)


def test_server_reporting_fewer_remaining_reserves_the_difference_for_the_foreign_consumer() -> (
    None
):
    def observe(r: Response) -> RateObservation:
        return RateObservation(10, int(r.headers["remaining"]), None, 100.0)

    async def main(loop: VirtualTimeLoop) -> tuple[int, float]:
        budget = virtual_budget(
            loop, [RateLimit("w", 10, 100.0)], observe=observe, foreign_headroom=0
        )
        await budget.before_attempt(READ)
        # Ours is 1 of the 10; the server says 4 remain, so 5 went to someone else.
        budget.after_response(READ, response(headers={"remaining": "4"}))
        for _ in range(4):
            await budget.before_attempt(READ)
        stats = await budget.stats()
        return stats.limits[0].foreign, stats.wait

    foreign, wait = run_virtual(main)
    assert foreign == 5
    assert wait == pytest.approx(100.0 + 0.1)  # the foreign units leave a window after we saw them


def test_our_attempts_in_flight_that_the_server_counted_are_not_reserved_as_foreign() -> None:
    def observe(r: Response) -> RateObservation:
        return RateObservation(10, 5, None, 100.0)  # the server counted all 5 of ours

    async def main(loop: VirtualTimeLoop) -> int:
        budget = virtual_budget(loop, [RateLimit("w", 10, 100.0)], observe=observe)
        requests = [READ] * 5

        async def attempt(i: int) -> None:
            await budget.before_attempt(requests[i])
            await asyncio.sleep(0.1 * (i + 1))  # answered one after the other
            budget.after_response(requests[i], response())

        await asyncio.gather(*(attempt(i) for i in range(5)))
        return (await budget.stats()).limits[0].foreign

    # Five of ours hold five slots; none of the other five is kept for anyone.
    assert run_virtual(main) == 0


def test_foreign_slots_stay_reserved_for_a_window_though_a_later_answer_shows_fewer() -> None:
    remaining = iter(["4", "8"])  # 5 foreign, then none: the other client is between requests

    def observe(r: Response) -> RateObservation:
        return RateObservation(10, int(next(remaining)), None, 100.0)

    async def main(loop: VirtualTimeLoop) -> tuple[int, int]:
        budget = virtual_budget(
            loop, [RateLimit("w", 10, 100.0)], observe=observe, foreign_headroom=0
        )
        for _ in range(2):
            await budget.before_attempt(READ)
            budget.after_response(READ, response())
        reserved = (await budget.stats()).limits[0].foreign
        await asyncio.sleep(100.2)
        return reserved, (await budget.stats()).limits[0].foreign

    assert run_virtual(main) == (5, 0)


def test_while_another_consumer_is_seen_one_more_unit_is_kept_spare() -> None:
    def observe(r: Response) -> RateObservation:
        return RateObservation(10, int(r.headers["remaining"]), None, 100.0)

    async def main(loop: VirtualTimeLoop) -> list[int]:
        budget = virtual_budget(loop, [RateLimit("w", 10, 100.0)], observe=observe)
        reserved = []
        for remaining in ("9", "6"):  # nobody else, then 2 units of someone else's
            await budget.before_attempt(READ)
            budget.after_response(READ, response(headers={"remaining": remaining}))
            reserved.append((await budget.stats()).limits[0].foreign)
        return reserved

    assert run_virtual(main) == [0, 3]


def test_server_reporting_a_new_limit_and_window_replaces_the_configured_one() -> None:
    async def main(loop: VirtualTimeLoop) -> RateLimit:
        budget = virtual_budget(
            loop, [RateLimit("w", 10, 100.0)], observe=lambda r: RateObservation(3, 2, None, 50.0)
        )
        await budget.before_attempt(READ)
        budget.after_response(READ, response())
        return budget.limits[0]

    assert run_virtual(main) == RateLimit("w", 3, 50.0)


def test_auth_requests_spend_no_budget() -> None:
    async def main(loop: VirtualTimeLoop) -> float:
        budget = virtual_budget(loop, [RateLimit("all", 1, 60.0)])
        for _ in range(5):
            await budget.before_attempt(Request("POST", "token", request_class="auth"))
        return loop.epoch() - EPOCH_START

    assert run_virtual(main) == 0.0


def test_stats_report_admissions_queue_and_utilisation() -> None:
    async def main(loop: VirtualTimeLoop) -> tuple[object, ...]:
        budget = virtual_budget(loop, [RateLimit("all", 4, 60.0)])
        for _ in range(4):
            await budget.before_attempt(READ)
            budget.after_response(READ, response())
        blocked = asyncio.ensure_future(budget.before_attempt(WRITE))
        await asyncio.sleep(1)
        stats = await budget.stats()
        blocked.cancel()
        return stats.admitted, stats.waiting, stats.limits[0].utilisation, stats.wait

    admitted, waiting, utilisation, wait = run_virtual(main)
    assert admitted == {"read": 4}
    assert waiting == 1
    assert utilisation == 1.0
    assert wait == pytest.approx(59.0 + 0.06)


def test_overrides_replace_named_limits_for_a_customers_plan() -> None:
    limits = (RateLimit("write", 500, 3600.0), RateLimit("read", 1000, 3600.0))
    assert apply_overrides(limits, {"write": 1000})[0].limit == 1000
    with pytest.raises(ConfigurationError, match="writes"):
        apply_overrides(limits, {"writes": 1000})


def test_pool_hands_every_client_of_a_credential_the_same_budget() -> None:
    pool = BudgetPool()
    adapter = AcmeAdapter()
    first = pool.for_adapter(adapter, {"api_key": "k1"})
    assert pool.for_adapter(adapter, {"api_key": "k1"}) is first
    assert pool.for_adapter(adapter, {"api_key": "k2"}) is not first


def test_pool_refuses_other_limits_for_a_credential_already_budgeted() -> None:
    pool = BudgetPool()
    adapter = AcmeAdapter()
    budget = pool.for_adapter(adapter, {"api_key": "k1"})
    with pytest.raises(ConfigurationError):
        pool.for_adapter(adapter, {"api_key": "k1"}, overrides={"all": 99})
    assert budget.limits[0].limit == 10


def test_pool_forgets_a_budget_no_client_uses() -> None:
    pool = BudgetPool()
    pool.for_adapter(AcmeAdapter(), {"api_key": "k1"})
    assert len(pool) == 0


def test_credential_fingerprint_never_contains_the_secret() -> None:
    secret = "sk_live_very_secret_value"
    fingerprint = credential_fingerprint("acme", {"api_key": secret})
    assert secret not in fingerprint
    assert fingerprint == credential_fingerprint("acme", {"api_key": secret})
    assert fingerprint != credential_fingerprint("acme", {"api_key": secret + "x"})


# -- against a loopback server enforcing the limit itself (real time, windows of 1 s) ---------
# Only what cannot depend on the machine's speed is asserted here: no 429, no window over the
# limit, and the run lasting until three windows' worth was counted. The share of the limit
# used is proven on virtual time above and measured by `python -m benchmarks budget`.

LOOPBACK = RateLimit("all", 20, 1.0)


async def debtkit_callers(transport: Transport, tasks: int) -> list[asyncio.Task[None]]:
    async def caller() -> None:
        while True:
            await transport.request(Request("GET", "items"))

    return [asyncio.ensure_future(caller()) for _ in range(tasks)]


async def test_loopback_server_sees_no_429_and_the_limit_fully_used_but_never_exceeded() -> None:
    server = WindowServer(LOOPBACK)
    budget = Budget([LOOPBACK])
    async with (
        SimulatorServer(server.app()) as simulator,
        Transport(provider="loop", base_url=simulator.origin, gate=budget) as transport,
    ):
        callers = await debtkit_callers(transport, tasks=10)
        await until_counted(server, 3 * LOOPBACK.limit + 1)
        await stop(callers)
    times = server.times()
    assert server.refused == []
    assert max_in_rolling_window(times, LOOPBACK.window) <= LOOPBACK.limit


SHARED = RateLimit("all", 40, 1.0)


async def test_loopback_foreign_consumer_taking_30_percent_causes_debtkit_no_429() -> None:
    server = WindowServer(SHARED, send_headers=True)
    budget = Budget([SHARED], observe=parse_rate_headers)
    foreign_share = int(0.3 * SHARED.limit)

    async with (
        SimulatorServer(server.app()) as simulator,
        Transport(provider="loop", base_url=simulator.origin, gate=budget) as transport,
    ):
        other = asyncio.ensure_future(
            foreign_consumer(simulator.origin, foreign_share, SHARED.window)
        )
        await asyncio.sleep(SHARED.window)  # the other consumer was there first
        callers = await debtkit_callers(transport, tasks=10)
        await until_counted(server, 3 * (SHARED.limit - foreign_share))
        await stop([*callers, other])
    assert server.refused_by("debtkit") == 0
    assert max_in_rolling_window(server.times(), SHARED.window) <= SHARED.limit
