"""A sliding limit counted in segments, kept in Redis: the Lua script holds slots as the
in-process books do (debtkit.budget.books) and processes sharing it meet no 429."""

from __future__ import annotations

import asyncio
import math
import time
import uuid

from debtkit import RateLimit
from debtkit.simulator import SimulatorServer
from debtkit.transport import Request, Response, Transport
from tests.core.test_redis_budget import budget_on, run_callers
from tests.core.window_server import WindowServer


async def test_a_shared_segment_limit_holds_a_slot_a_window_after_its_segment_ends(
    redis_url: str,
) -> None:
    rule = RateLimit("all", 1, 0.4, segment=0.2)
    budget = budget_on(redis_url, f"test-{uuid.uuid4().hex[:8]}", rule)
    # Just after a segment boundary, so the segment's end is far from the answer.
    segment_start = math.floor(time.time() / 0.2) * 0.2
    await asyncio.sleep(segment_start + 0.2 + 0.01 - time.time())
    started = time.time()
    await budget.before_attempt(Request("GET", "items"))
    budget.after_response(Request("GET", "items"), Response("GET", "/", 200, {}, None, None, 0))
    await budget.books.settle()
    (usage,) = await budget.books.usage()
    asked = time.time()
    await budget.aclose()
    segment_end = (math.floor(started / 0.2) + 1) * 0.2
    # An exact log would free the slot 0.4 s after the answer; the segment holds it longer.
    assert usage.wait >= segment_end + rule.window - asked - 1e-3


async def test_two_budgets_sharing_a_segment_limit_meet_no_429_from_a_segment_server(
    redis_url: str,
) -> None:
    rule = RateLimit("all", 12, 0.6, segment=0.1)
    server = WindowServer(rule)
    namespace = f"test-{uuid.uuid4().hex[:8]}"
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
