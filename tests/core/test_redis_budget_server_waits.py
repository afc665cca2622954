"""A server-requested wait is capped in the books shared through Redis too (issue 11, item 5):
a 429 asking for years pauses every process of the credential for `max_server_wait` only."""

from __future__ import annotations

import asyncio

from debtkit import RateLimit
from debtkit.transport import Request
from tests.core.test_redis_budget import budget_on, namespace, ok

__all__ = ["namespace"]  # a fixture, imported for pytest (redis_url is in tests/conftest.py)

READ = Request("GET", "items")


async def test_a_huge_retry_after_pauses_every_process_only_up_to_the_cap(
    redis_url: str, namespace: str
) -> None:
    rule = RateLimit("all", 100, 3600.0)
    hit = budget_on(redis_url, namespace, rule, max_server_wait=0.3)
    other = budget_on(redis_url, namespace, rule, max_server_wait=0.3)  # another process
    try:
        await hit.before_attempt(READ)
        hit.after_response(READ, ok(429, {"Retry-After": "99999999"}))
        await hit.books.settle()
        (usage,) = (await other.stats()).limits
        assert 0 < usage.paused_for <= 0.3
        await asyncio.wait_for(other.before_attempt(READ), 10.0)
        other.after_response(READ, ok())
    finally:
        await hit.aclose()
        await other.aclose()
