"""Sliding limits counted in segments (Debitura's minute: "sliding window, 10-s segments").

A server counting in segments holds a request until its whole segment has left the window, up
to a segment longer than an exact log. On virtual time, against such a server: a budget that
knows the segment meets no 429 and is not starved; one that does not know it meets 429s.
"""

from __future__ import annotations

import asyncio
import math
import random

import pytest

from debtkit import ConfigurationError, RateLimit
from debtkit.budget import Budget
from debtkit.simulator import WindowLimiter
from debtkit.transport import Request, Response
from tests.core.virtual_time import EPOCH_START, VirtualTimeLoop, run_virtual

READ = Request("GET", "items")
# Debitura's minute compressed tenfold: 6 segments per window, as 10 s in 60 s.
SEGMENTED = RateLimit("minute", 60, 6.0, segment=1.0)
WINDOWS = 6


def answer(status: int) -> Response:
    return Response("GET", "/items", status, {}, None, None, 0.0)


def test_a_segment_counting_server_forgets_a_request_a_window_after_its_segment_ends() -> None:
    now = [100.25]  # inside the segment [100, 101)
    limiter = WindowLimiter(RateLimit("m", 1, 6.0, segment=1.0), clock=lambda: now[0])
    assert limiter.try_acquire()
    now[0] = 106.5  # an exact 6 s log would have let it go at 106.25
    assert not limiter.try_acquire()
    assert limiter.retry_after() == pytest.approx(0.5)
    now[0] = 107.0
    assert limiter.try_acquire()


def test_scaling_a_limit_scales_its_segment() -> None:
    assert RateLimit("m", 2000, 60.0, segment=10.0).scaled(10).segment == pytest.approx(1.0)


@pytest.mark.parametrize(
    "rule",
    [
        RateLimit("h", 10, 3600.0, "fixed", segment=10.0),
        RateLimit("m", 10, 60.0, segment=0.0),
        RateLimit("m", 10, 60.0, segment=math.inf),
    ],
)
def test_a_segment_must_be_positive_seconds_of_a_sliding_limit(rule: RateLimit) -> None:
    with pytest.raises(ConfigurationError):
        Budget([rule])


async def drive(
    loop: VirtualTimeLoop, budget: Budget, server: WindowLimiter, until: float, seed: int
) -> tuple[list[float], int]:
    """Greedy callers through `budget` to `server` until `until`: (times counted, 429s)."""
    rng = random.Random(seed)
    counted: list[float] = []
    refused = 0

    async def caller() -> None:
        nonlocal refused
        while loop.epoch() < until:
            await budget.before_attempt(READ)
            latency = rng.uniform(0.0, 0.05)
            await asyncio.sleep(rng.uniform(0.0, latency))  # the server receives it in flight
            if server.try_acquire():
                counted.append(loop.epoch())
                status = 200
            else:
                refused += 1
                status = 429
            await asyncio.sleep(latency / 2)
            budget.after_response(READ, answer(status))

    await asyncio.gather(*(caller() for _ in range(12)))
    return counted, refused


def allowance(rule: RateLimit, start: float, until: float) -> int:
    """The most a client that knew the server's count could have had counted in
    [start, until): it sends whatever the server would take, the moment it would take it."""
    now = [start]
    limiter = WindowLimiter(rule, clock=lambda: now[0])
    total = 0
    while now[0] < until:
        while limiter.try_acquire():
            total += 1
        now[0] += max(limiter.retry_after(), 1e-9)
    return total


def test_a_segment_aware_budget_meets_no_429_and_uses_what_the_server_allows() -> None:
    until = EPOCH_START + WINDOWS * SEGMENTED.window

    async def main(loop: VirtualTimeLoop) -> tuple[list[float], int]:
        server = WindowLimiter(SEGMENTED, clock=loop.epoch)
        budget = Budget([SEGMENTED], clock=loop.epoch, sleep=asyncio.sleep)
        return await drive(loop, budget, server, until, seed=7)

    counted, refused = run_virtual(main)
    assert refused == 0
    in_run = sum(1 for t in counted if t < until)
    one_segment = SEGMENTED.limit * SEGMENTED.segment / SEGMENTED.window  # type: ignore[operator]
    assert in_run >= allowance(SEGMENTED, EPOCH_START, until) - one_segment


def test_a_budget_counting_an_exact_minute_meets_429_from_a_segment_counting_server() -> None:
    until = EPOCH_START + WINDOWS * SEGMENTED.window
    exact = RateLimit("minute", SEGMENTED.limit, SEGMENTED.window)

    async def main(loop: VirtualTimeLoop) -> tuple[list[float], int]:
        server = WindowLimiter(SEGMENTED, clock=loop.epoch)
        budget = Budget([exact], clock=loop.epoch, sleep=asyncio.sleep)
        return await drive(loop, budget, server, until, seed=7)

    _, refused = run_virtual(main)
    assert refused > 0
