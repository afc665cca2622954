"""The claim contract every built-in seen-store keeps, on real servers for the shared ones:
of concurrent claims for one event id exactly one wins, a released claim lets the redelivery
be handled, an expired claim is taken over, a handled id stays handled."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from debtkit.events import (
    ClaimingSeenStore,
    ClaimOutcome,
    MemorySeenStore,
    PostgresSeenStore,
    RedisSeenStore,
    SQLiteSeenStore,
)

KINDS = ["memory", "sqlite", "postgres", "redis"]
SHARED = ["sqlite", "postgres", "redis"]  # stores two processes (replicas) can share

OpenStore = Callable[[], Awaitable[ClaimingSeenStore]]


async def fresh_database(server_url: str) -> str:
    """A new empty database on the session's server (what `postgres_database` makes, from
    an async fixture, which cannot request that async fixture by name)."""
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:16]}"
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenStore]:
    """Opens another instance of one store (one more replica) per call; all share the data."""
    kind: str = request.param
    memory = MemorySeenStore()
    prefix = f"test:{uuid.uuid4().hex}:"
    database = (
        await fresh_database(request.getfixturevalue("postgres_url")) if kind == "postgres" else ""
    )
    redis_url = request.getfixturevalue("redis_url") if kind == "redis" else ""
    async with AsyncExitStack() as stack:

        async def open_one() -> ClaimingSeenStore:
            if kind == "memory":
                return memory
            if kind == "sqlite":
                return await stack.enter_async_context(SQLiteSeenStore(tmp_path / "seen.db"))
            if kind == "postgres":
                return await stack.enter_async_context(PostgresSeenStore(database))
            return await stack.enter_async_context(RedisSeenStore(redis_url, prefix=prefix))

        yield open_one


every_store = pytest.mark.parametrize("open_store", KINDS, indirect=True)
shared_stores = pytest.mark.parametrize("open_store", SHARED, indirect=True)


@every_store
async def test_a_new_id_is_claimed_and_stays_unseen_until_marked(open_store: OpenStore) -> None:
    store = await open_store()
    claim = await store.claim("e1", 60)
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert not await store.contains("e1")
    assert await store.add("e1") is True
    assert await store.contains("e1")


@every_store
async def test_a_handled_id_is_done_for_every_later_claim(open_store: OpenStore) -> None:
    store = await open_store()
    await store.claim("e1", 60)
    await store.add("e1")
    assert (await store.claim("e1", 60)).outcome is ClaimOutcome.DONE
    assert await store.add("e1") is False


@every_store
async def test_a_live_claim_makes_another_claim_busy(open_store: OpenStore) -> None:
    store = await open_store()
    assert (await store.claim("e1", 60)).claimed
    assert (await store.claim("e1", 60)).outcome is ClaimOutcome.BUSY


@every_store
async def test_of_many_concurrent_claims_exactly_one_wins(open_store: OpenStore) -> None:
    replicas = [await open_store(), await open_store()]
    claims = await asyncio.gather(
        *(replicas[i % 2].claim(f"e{n}", 60) for n in range(20) for i in range(10))
    )
    for n in range(20):
        outcomes = [c.outcome for c in claims if c.event_id == f"e{n}"]
        assert outcomes.count(ClaimOutcome.CLAIMED) == 1
        assert outcomes.count(ClaimOutcome.BUSY) == 9


@shared_stores
async def test_a_claim_in_one_replica_makes_the_other_busy_then_done(
    open_store: OpenStore,
) -> None:
    first, second = await open_store(), await open_store()
    assert (await first.claim("e1", 60)).claimed
    assert (await second.claim("e1", 60)).outcome is ClaimOutcome.BUSY
    await first.add("e1")
    assert (await second.claim("e1", 60)).outcome is ClaimOutcome.DONE
    assert await second.contains("e1")


@every_store
async def test_a_released_claim_lets_the_redelivery_be_claimed(open_store: OpenStore) -> None:
    first, second = await open_store(), await open_store()
    claim = await first.claim("e1", 60)
    await first.release(claim)  # the handler failed
    assert not await second.contains("e1")
    assert (await second.claim("e1", 60)).claimed


async def _expire(seconds: float = 0.05) -> None:
    await asyncio.sleep(seconds)  # any real pause outlasts the 1 ms lease


@shared_stores
async def test_an_expired_claim_is_taken_over(open_store: OpenStore) -> None:
    crashed, survivor = await open_store(), await open_store()
    assert (await crashed.claim("e1", 0.001)).claimed
    await _expire()
    assert (await survivor.claim("e1", 60)).claimed


@shared_stores
async def test_releasing_an_expired_claim_keeps_the_claim_that_took_over(
    open_store: OpenStore,
) -> None:
    slow, fast = await open_store(), await open_store()
    stale = await slow.claim("e1", 0.001)
    await _expire()
    assert (await fast.claim("e1", 60)).claimed
    await slow.release(stale)
    assert (await slow.claim("e1", 60)).outcome is ClaimOutcome.BUSY


async def test_memory_store_claim_expires_on_its_clock() -> None:
    now = [0.0]
    store = MemorySeenStore(clock=lambda: now[0])
    assert (await store.claim("e1", 10)).claimed
    now[0] = 9.0
    assert (await store.claim("e1", 10)).outcome is ClaimOutcome.BUSY
    now[0] = 10.0
    assert (await store.claim("e1", 10)).claimed


@every_store
async def test_ids_of_any_shape_are_kept_apart(open_store: OpenStore) -> None:
    store = await open_store()
    odd = ["x" * 5000, "nul\x00byte", "\ud800lone", "x" * 5001, "sha256:", "é ü"]
    for event_id in odd:
        assert (await store.claim(event_id, 60)).claimed
        assert await store.add(event_id) is True
    for event_id in odd:
        assert (await store.claim(event_id, 60)).outcome is ClaimOutcome.DONE


@every_store
async def test_the_store_satisfies_the_claiming_protocol(open_store: OpenStore) -> None:
    assert isinstance(await open_store(), ClaimingSeenStore)


def test_a_claim_needs_a_positive_lease() -> None:
    from debtkit.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        asyncio.run(MemorySeenStore().claim("e1", 0))
