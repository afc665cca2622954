"""Seen-stores: which event ids a receiver has already handled, so duplicates are dropped.

Providers redeliver (a timeout, a retry, a replay) and GetBill sends no event id and no
timestamp at all, so deduplication by event id is what makes a receiver handle each event
once, and for GetBill it is the only replay protection there is.

`SeenStore` is the interface; `MemorySeenStore` (bounded, per process) and `SQLiteSeenStore`
(a file, survives restarts, one host) are built in. A store shared by several receivers
(Redis ``SET NX``, a PostgreSQL unique key) implements the same two methods.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from debtkit.errors import ConfigurationError

__all__ = ["MemorySeenStore", "SQLiteSeenStore", "SeenStore"]

T = TypeVar("T")


@runtime_checkable
class SeenStore(Protocol):
    """Event ids already handled.

    The receiver asks `contains` before it hands an event on and calls `add` only after the
    handler succeeded, so a failed handling is retried on redelivery. `add` returns True when
    the id was new: a shared store answers False when another receiver added it meanwhile.
    """

    async def contains(self, event_id: str) -> bool: ...

    async def add(self, event_id: str) -> bool: ...


class MemorySeenStore:
    """The most recent `max_entries` event ids, in this process only; the oldest are forgotten
    first, so memory stays bounded. Redeliveries come within hours or days, not millions of
    events later, which is what the bound assumes."""

    def __init__(self, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ConfigurationError("a MemorySeenStore needs max_entries >= 1")
        self.max_entries = max_entries
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._ids)

    async def contains(self, event_id: str) -> bool:
        return event_id in self._ids

    async def add(self, event_id: str) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return False
        self._ids[event_id] = None
        while len(self._ids) > self.max_entries:
            self._ids.popitem(last=False)
        return True


class SQLiteSeenStore:
    """Event ids in a SQLite file: survives restarts; safe for several processes on one host
    (SQLite locks the file; `add` is one ``INSERT OR IGNORE``).

    An async context manager; queries run in a worker thread so the event loop never blocks.
    `forget_older_than` prunes ids seen more than that many seconds ago.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SQLiteSeenStore({str(self.path)!r})"

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS seen_events "
                "(event_id TEXT PRIMARY KEY, seen_at REAL NOT NULL)"
            )
            conn.commit()
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open the seen-store {self.path}: {exc}") from None
        return conn

    async def open(self) -> SQLiteSeenStore:
        async with self._lock:
            if self._conn is None:
                self._conn = await asyncio.to_thread(self._connect)
        return self

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await asyncio.to_thread(conn.close)

    async def __aenter__(self) -> SQLiteSeenStore:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(
        self, sql: str, params: tuple[object, ...], result: Callable[[sqlite3.Cursor], T]
    ) -> T:
        await self.open()
        async with self._lock:
            conn = self._conn
            if conn is None:
                raise ConfigurationError(f"the seen-store {self.path} is closed")

            def run() -> T:
                with conn:  # commits, or rolls back on error
                    return result(conn.execute(sql, params))

            work = asyncio.ensure_future(asyncio.to_thread(run))
            try:
                return await asyncio.shield(work)
            except asyncio.CancelledError:
                # Hold the lock until the statement is done, so the connection is never
                # used by two statements at once; then let the cancellation through.
                await asyncio.wait([work])
                raise

    async def contains(self, event_id: str) -> bool:
        return await self._run(
            "SELECT 1 FROM seen_events WHERE event_id = ?",
            (event_id,),
            lambda cursor: cursor.fetchone() is not None,
        )

    async def add(self, event_id: str) -> bool:
        return await self._run(
            "INSERT OR IGNORE INTO seen_events (event_id, seen_at) VALUES (?, ?)",
            (event_id, time.time()),
            lambda cursor: cursor.rowcount == 1,
        )

    async def forget_older_than(self, seconds: float) -> int:
        """Drop ids seen more than `seconds` ago; how many were dropped."""
        return await self._run(
            "DELETE FROM seen_events WHERE seen_at < ?",
            (time.time() - seconds,),
            lambda cursor: cursor.rowcount,
        )
