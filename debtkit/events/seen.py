"""Seen-stores: which event ids a receiver has already handled, so duplicates are dropped.

Providers redeliver (a timeout, a retry, a replay) and GetBill sends no event id and no
timestamp at all, so deduplication by event id is what makes a receiver handle each event
once, and for GetBill it is the only replay protection there is.

`SeenStore` is the interface; `MemorySeenStore` (bounded, per process) and `SQLiteSeenStore`
(a file, survives restarts, one host) are built in; `PostgresSeenStore` and `RedisSeenStore`
(`debtkit.events.seen_postgres`, `.seen_redis`) are shared by receivers on many hosts.

`ClaimingSeenStore` adds a claim with a lease, so that two receivers getting the same event
at the same moment do not both hand it on: `claim` answers CLAIMED to exactly one of them
(the others get BUSY while the claim lives, DONE once it is marked handled), a failed
handling `release`s the claim so the redelivery is handled, and the claim of a crashed
receiver expires after its lease. All four built-in stores implement it. `seen_store_for`
picks a store from a URL or a path.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import sqlite3
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

import attrs

from debtkit.errors import ConfigurationError, DebtkitError

if TYPE_CHECKING:
    from debtkit.events.seen_postgres import PostgresSeenStore
    from debtkit.events.seen_redis import RedisSeenStore

__all__ = [
    "DEFAULT_RETENTION",
    "Claim",
    "ClaimOutcome",
    "ClaimingSeenStore",
    "MemorySeenStore",
    "SQLiteSeenStore",
    "SeenStore",
    "SeenStoreError",
    "seen_store_for",
    "storage_key",
]

T = TypeVar("T")

#: How long the shared stores remember a handled id: providers redeliver within days.
DEFAULT_RETENTION = 30 * 86_400.0


class SeenStoreError(DebtkitError):
    """A shared seen-store cannot be reached or used. `store` names it without a password."""

    def __init__(self, store: str, reason: str) -> None:
        self.store = store
        self.reason = reason
        super().__init__(f"seen-store {store}: {reason}")


class ClaimOutcome(enum.Enum):
    CLAIMED = "claimed"  # this caller hands the event on
    BUSY = "busy"  # another caller holds a live claim and has not finished
    DONE = "done"  # handled already


@attrs.frozen(slots=True)
class Claim:
    """The answer to `ClaimingSeenStore.claim`; `token` identifies a CLAIMED claim."""

    event_id: str
    outcome: ClaimOutcome
    token: str = attrs.field(default="", repr=False)

    @property
    def claimed(self) -> bool:
        return self.outcome is ClaimOutcome.CLAIMED


def new_token() -> str:
    return uuid.uuid4().hex


def storage_key(event_id: str) -> str:
    """The key an event id is stored under: the id itself when it is short and printable,
    else a digest, so that no id (a NUL, a lone surrogate, 10 kB) can break a database key."""
    if len(event_id) <= 200 and event_id.isprintable():
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()


def _seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def check_lease(lease: float) -> None:
    if not _seconds(lease):
        raise ConfigurationError("a claim needs a lease > 0 seconds")


def check_retention(retention: float | None) -> None:
    if retention is not None and not _seconds(retention):
        raise ConfigurationError("the seen-store retention must be > 0 seconds or None")


@runtime_checkable
class SeenStore(Protocol):
    """Event ids already handled.

    The receiver asks `contains` before it hands an event on and calls `add` only after the
    handler succeeded, so a failed handling is retried on redelivery. `add` returns True when
    the id was new: a shared store answers False when another receiver added it meanwhile.
    """

    async def contains(self, event_id: str) -> bool: ...

    async def add(self, event_id: str) -> bool: ...


@runtime_checkable
class ClaimingSeenStore(SeenStore, Protocol):
    """A seen-store that hands each event to one receiver at a time.

    `claim` is atomic: of any number of concurrent callers for one id, at most one gets
    CLAIMED. A claim lives `lease` seconds (choose it longer than the handler may take);
    `add` marks the id handled and ends the claim; `release` ends a claim without marking
    it, and only the claim it names (not a later one taken over after the lease ran out).
    """

    async def claim(self, event_id: str, lease: float) -> Claim: ...

    async def release(self, claim: Claim) -> None: ...


class MemorySeenStore:
    """The most recent `max_entries` event ids, in this process only; the oldest are forgotten
    first, so memory stays bounded. Redeliveries come within hours or days, not millions of
    events later, which is what the bound assumes. Claims use `clock` (monotonic seconds)."""

    def __init__(
        self, max_entries: int = 100_000, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ConfigurationError("a MemorySeenStore needs max_entries >= 1")
        self.max_entries = max_entries
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._claims: dict[str, tuple[str, float]] = {}  # id -> (token, expires at)
        self._clock = clock

    def __len__(self) -> int:
        return len(self._ids)

    async def contains(self, event_id: str) -> bool:
        return event_id in self._ids

    async def add(self, event_id: str) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return False
        self._ids[event_id] = None
        self._claims.pop(event_id, None)
        while len(self._ids) > self.max_entries:
            self._ids.popitem(last=False)
        return True

    async def claim(self, event_id: str, lease: float) -> Claim:
        check_lease(lease)
        if event_id in self._ids:
            return Claim(event_id, ClaimOutcome.DONE)
        now = self._clock()
        held = self._claims.get(event_id)
        if held is not None and held[1] > now:
            return Claim(event_id, ClaimOutcome.BUSY)
        if len(self._claims) >= self.max_entries:  # only claims of crashed handlers linger
            self._claims = {k: v for k, v in self._claims.items() if v[1] > now}
        token = new_token()
        self._claims[event_id] = (token, now + lease)
        return Claim(event_id, ClaimOutcome.CLAIMED, token)

    async def release(self, claim: Claim) -> None:
        held = self._claims.get(claim.event_id)
        if held is not None and held[0] == claim.token:
            del self._claims[claim.event_id]


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
            conn.execute(
                "CREATE TABLE IF NOT EXISTS seen_claims "
                "(event_id TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at REAL NOT NULL)"
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
        return await self._transaction(lambda conn: result(conn.execute(sql, params)))

    async def _transaction(self, statements: Callable[[sqlite3.Connection], T]) -> T:
        await self.open()
        async with self._lock:
            conn = self._conn
            if conn is None:
                raise ConfigurationError(f"the seen-store {self.path} is closed")

            def run() -> T:
                with conn:  # commits, or rolls back on error
                    return statements(conn)

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
            (storage_key(event_id),),
            lambda cursor: cursor.fetchone() is not None,
        )

    async def add(self, event_id: str) -> bool:
        key = storage_key(event_id)

        def mark(conn: sqlite3.Connection) -> bool:
            added = conn.execute(
                "INSERT OR IGNORE INTO seen_events (event_id, seen_at) VALUES (?, ?)",
                (key, time.time()),
            ).rowcount
            conn.execute("DELETE FROM seen_claims WHERE event_id = ?", (key,))
            return bool(added == 1)

        return await self._transaction(mark)

    async def claim(self, event_id: str, lease: float) -> Claim:
        """One statement, so SQLite's write lock makes it atomic across processes too."""
        check_lease(lease)
        token, now, key = new_token(), time.time(), storage_key(event_id)

        def take(conn: sqlite3.Connection) -> Claim:
            taken = conn.execute(
                "INSERT INTO seen_claims (event_id, token, expires_at) "
                "SELECT ?, ?, ? WHERE NOT EXISTS "
                "(SELECT 1 FROM seen_events WHERE event_id = ?) "
                "ON CONFLICT (event_id) DO UPDATE SET "
                "token = excluded.token, expires_at = excluded.expires_at "
                "WHERE seen_claims.expires_at <= ?",
                (key, token, now + lease, key, now),
            ).rowcount
            if taken == 1:
                return Claim(event_id, ClaimOutcome.CLAIMED, token)
            done = conn.execute("SELECT 1 FROM seen_events WHERE event_id = ?", (key,))
            if done.fetchone() is not None:
                return Claim(event_id, ClaimOutcome.DONE)
            return Claim(event_id, ClaimOutcome.BUSY)

        return await self._transaction(take)

    async def release(self, claim: Claim) -> None:
        await self._run(
            "DELETE FROM seen_claims WHERE event_id = ? AND token = ?",
            (storage_key(claim.event_id), claim.token),
            lambda cursor: None,
        )

    async def forget_older_than(self, seconds: float) -> int:
        """Drop ids seen more than `seconds` ago, and expired claims (a crashed handler's);
        how many ids were dropped."""
        now = time.time()

        def prune(conn: sqlite3.Connection) -> int:
            conn.execute("DELETE FROM seen_claims WHERE expires_at <= ?", (now,))
            return int(
                conn.execute("DELETE FROM seen_events WHERE seen_at < ?", (now - seconds,)).rowcount
            )

        return await self._transaction(prune)


def seen_store_for(spec: str | Path) -> SQLiteSeenStore | PostgresSeenStore | RedisSeenStore:
    """The store `spec` names, not yet opened: a ``postgresql://`` (or ``postgres://``) URL is
    a `PostgresSeenStore`, a ``redis://``, ``rediss://`` or ``unix://`` URL a
    `RedisSeenStore`, anything else the path of a `SQLiteSeenStore` file."""
    text = str(spec)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("postgresql", "postgres"):
        from debtkit.events.seen_postgres import PostgresSeenStore

        return PostgresSeenStore(text)
    if scheme in ("redis", "rediss", "unix"):
        from debtkit.events.seen_redis import RedisSeenStore

        return RedisSeenStore(text)
    if scheme:
        raise ConfigurationError(f"no seen-store for {scheme}:// URLs (postgresql, redis)")
    if not text.strip():
        raise ConfigurationError("the seen-store needs a URL or a path")
    return SQLiteSeenStore(Path(text))
