"""The shared seen-stores on real servers: setup, retention, ownership, and secrecy."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from debtkit.errors import ConfigurationError, DebtkitError
from debtkit.events import (
    PostgresSeenStore,
    RedisSeenStore,
    SeenStoreError,
    SQLiteSeenStore,
    seen_store_for,
)
from tests.postgres_server import PASSWORD as PG_PASSWORD

REDIS_PASSWORD = "s3cret-redis-password"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


async def test_replicas_starting_at_once_all_create_the_table(postgres_database: str) -> None:
    stores = [PostgresSeenStore(postgres_database) for _ in range(6)]
    try:
        await asyncio.gather(*(store.open() for store in stores))
        assert await stores[0].add("e1") is True
        assert all([await store.contains("e1") for store in stores])
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_postgres_store_forgets_handled_ids_older_than_asked(postgres_database: str) -> None:
    async with PostgresSeenStore(postgres_database) as store:
        await store.add("old")
        await asyncio.sleep(0.05)
        await store.add("new")
        assert await store.forget_older_than(0.04) == 1
        assert not await store.contains("old")
        assert await store.contains("new")


async def test_postgres_store_applies_its_retention_when_opened(postgres_database: str) -> None:
    async with PostgresSeenStore(postgres_database) as store:
        await store.add("e1")
    await asyncio.sleep(0.05)
    async with PostgresSeenStore(postgres_database, retention=0.01) as store:
        assert not await store.contains("e1")


async def test_postgres_store_keeps_a_live_claim_when_pruning(postgres_database: str) -> None:
    async with PostgresSeenStore(postgres_database) as store:
        assert (await store.claim("e1", 60)).claimed
        await asyncio.sleep(0.05)
        assert await store.forget_older_than(0.01) == 0


async def test_postgres_password_can_come_from_pgpassword(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", PG_PASSWORD)
    without = postgres_database.replace(f":{PG_PASSWORD}@", "@")
    assert PG_PASSWORD not in without
    async with PostgresSeenStore(without) as store:
        assert await store.add("e1") is True


async def test_postgres_store_leaves_the_callers_pool_open(postgres_database: str) -> None:
    pool = await asyncpg.create_pool(postgres_database, min_size=1, max_size=2)
    try:
        async with PostgresSeenStore(pool) as store:
            await store.add("e1")
        assert await pool.fetchval("SELECT count(*) FROM debtkit_seen_events") == 1
    finally:
        await pool.close()


async def test_postgres_store_uses_the_table_it_is_given(postgres_database: str) -> None:
    async with PostgresSeenStore(postgres_database, table="hooks_seen") as store:
        await store.add("e1")
    connection = await asyncpg.connect(postgres_database)
    try:
        assert await connection.fetchval("SELECT count(*) FROM hooks_seen") == 1
    finally:
        await connection.close()


def test_postgres_store_refuses_a_table_name_that_is_not_an_identifier() -> None:
    with pytest.raises(ConfigurationError):
        PostgresSeenStore("postgresql://localhost/db", table='x"; DROP TABLE y; --')


async def test_unreachable_postgres_is_a_seen_store_error_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"postgresql://debtkit:{PG_PASSWORD}@127.0.0.1:{closed_port()}/db"
    store = PostgresSeenStore(url, connect_timeout=5)
    with caplog.at_level(logging.DEBUG), pytest.raises(SeenStoreError) as caught:
        await store.open()
    assert isinstance(caught.value, DebtkitError)
    shown = f"{caught.value} {caught.value.store} {store!r} {caplog.text}"
    assert PG_PASSWORD not in shown
    assert "127.0.0.1" in str(caught.value)


async def test_a_wrong_postgres_password_is_a_seen_store_error_without_it(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wr0ng-pg-password"
    url = postgres_url.replace(PG_PASSWORD, wrong)
    store = PostgresSeenStore(url)
    with caplog.at_level(logging.DEBUG), pytest.raises(SeenStoreError) as caught:
        await store.open()
    shown = f"{caught.value} {store!r} {caplog.text}"
    assert wrong not in shown
    assert PG_PASSWORD not in shown


async def test_postgres_store_repr_hides_the_password(postgres_database: str) -> None:
    async with PostgresSeenStore(postgres_database) as store:
        assert PG_PASSWORD not in repr(store)
        assert "***" in repr(store)


async def test_redis_store_forgets_handled_ids_after_its_retention(redis_url: str) -> None:
    async with RedisSeenStore(redis_url, prefix=f"t:{uuid.uuid4().hex}:", retention=1) as store:
        await store.add("e1")
        assert await store.contains("e1")
        await asyncio.sleep(1.5)
        assert not await store.contains("e1")


async def test_redis_store_keys_live_under_its_prefix_with_a_ttl(redis_url: str) -> None:
    prefix = f"t:{uuid.uuid4().hex}:"
    async with RedisSeenStore(redis_url, prefix=prefix, retention=3600) as store:
        await store.add("e1")
        client = Redis.from_url(redis_url)
        try:
            assert 0 < await client.ttl(prefix + "e1") <= 3600
        finally:
            await client.aclose()


async def test_redis_store_leaves_the_callers_client_open(redis_url: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        async with RedisSeenStore(client, prefix=f"t:{uuid.uuid4().hex}:") as store:
            assert (await store.claim("e1", 60)).claimed
            await store.add("e1")
            assert await store.contains("e1")
        assert await client.ping()
    finally:
        await client.aclose()


async def test_unreachable_redis_is_a_seen_store_error_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{closed_port()}/0"
    store = RedisSeenStore(url, connect_timeout=5)
    with caplog.at_level(logging.DEBUG), pytest.raises(SeenStoreError) as caught:
        async with store:
            pass
    shown = f"{caught.value} {caught.value.store} {store!r} {caplog.text}"
    assert REDIS_PASSWORD not in shown


async def test_a_redis_password_the_server_refuses_stays_hidden(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = redis_url.replace("redis://", f"redis://user:{REDIS_PASSWORD}@")
    store = RedisSeenStore(url)
    with caplog.at_level(logging.DEBUG), pytest.raises(SeenStoreError) as caught:
        await store.open()
    await store.close()
    assert REDIS_PASSWORD not in f"{caught.value} {store!r} {caplog.text}"


def test_seen_store_for_picks_the_store_by_scheme(tmp_path: Path) -> None:
    assert isinstance(seen_store_for("postgresql://u:p@db/x"), PostgresSeenStore)
    assert isinstance(seen_store_for("postgres://u:p@db/x"), PostgresSeenStore)
    assert isinstance(seen_store_for("redis://:p@cache:6379/0"), RedisSeenStore)
    assert isinstance(seen_store_for(tmp_path / "seen.db"), SQLiteSeenStore)
    assert isinstance(seen_store_for(str(tmp_path / "seen.db")), SQLiteSeenStore)


def test_seen_store_for_refuses_another_scheme_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        seen_store_for("mysql://root:hunter2@db/x")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: PostgresSeenStore(None),  # type: ignore[arg-type]
        lambda: PostgresSeenStore("postgresql://u:hunter2@db/x", table=5),  # type: ignore[arg-type]
        lambda: PostgresSeenStore("postgresql://u:hunter2@db/x", retention=-1),
        lambda: RedisSeenStore(None),  # type: ignore[arg-type]
        lambda: RedisSeenStore("redis://:hunter2@cache/0", retention="30d"),  # type: ignore[arg-type]
        lambda: RedisSeenStore("redis://:hunter2@cache/0", prefix=b"x"),  # type: ignore[arg-type]
        lambda: RedisSeenStore("redis://:hunter2@cache:notaport/0"),
    ],
)
def test_a_shared_store_set_up_wrongly_is_a_configuration_error(make: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make()
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["postgresql://u:hunter2@db:notaport/x", "postgresql://u:hunter2@[::1/x"]
)
async def test_an_unreadable_postgres_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        await PostgresSeenStore(url).open()
    assert "hunter2" not in str(caught.value)
