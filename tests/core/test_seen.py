"""The built-in seen-stores."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from debtkit.errors import ConfigurationError
from debtkit.events import MemorySeenStore, SeenStore, SQLiteSeenStore


async def test_memory_store_reports_first_time_only_once() -> None:
    store = MemorySeenStore()
    assert not await store.contains("e1")
    assert await store.add("e1") is True
    assert await store.add("e1") is False
    assert await store.contains("e1")


async def test_memory_store_stays_within_its_bound_forgetting_the_oldest() -> None:
    store = MemorySeenStore(max_entries=3)
    for name in ("a", "b", "c", "d"):
        await store.add(name)
    assert len(store) == 3
    assert not await store.contains("a")
    assert await store.contains("d")


def test_memory_store_refuses_a_zero_bound() -> None:
    with pytest.raises(ConfigurationError):
        MemorySeenStore(max_entries=0)


async def test_sqlite_store_remembers_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    async with SQLiteSeenStore(path) as store:
        assert await store.add("e1") is True
        assert await store.add("e1") is False
    async with SQLiteSeenStore(path) as reopened:
        assert await reopened.contains("e1")
        assert not await reopened.contains("e2")


async def test_sqlite_store_forgets_old_ids(tmp_path: Path) -> None:
    async with SQLiteSeenStore(tmp_path / "seen.sqlite") as store:
        await store.add("e1")
        assert await store.forget_older_than(-1.0) == 1
        assert not await store.contains("e1")


async def test_sqlite_store_in_a_missing_directory_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    store = SQLiteSeenStore(tmp_path / "no" / "such" / "dir" / "seen.sqlite")
    with pytest.raises(ConfigurationError):
        await store.open()


def test_built_in_stores_satisfy_the_protocol(tmp_path: Path) -> None:
    assert isinstance(MemorySeenStore(), SeenStore)
    assert isinstance(SQLiteSeenStore(tmp_path / "s.sqlite"), SeenStore)


async def test_sqlite_store_stays_usable_after_a_cancelled_add(tmp_path: Path) -> None:
    async with SQLiteSeenStore(tmp_path / "seen.sqlite") as store:
        task = asyncio.create_task(store.add("e1"))
        await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert await store.add("e2") is True
        assert await store.contains("e2")


async def test_sqlite_store_forgets_expired_claims_with_old_ids(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    async with SQLiteSeenStore(path) as store:
        await store.claim("crashed", 0.001)
        await asyncio.sleep(0.05)
        await store.forget_older_than(3600)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*) FROM seen_claims").fetchone() == (0,)
