"""A seen-store in PostgreSQL, shared by every replica of a webhook receiver.

One row per event id: a claim (a random token and the instant it expires) while a receiver
hands the event on, then the instant it was handled. Every decision is one statement on the
server with the server's clock (``clock_timestamp()``), so replicas need no synchronised
clocks, and the primary key makes the claim atomic: of any number of concurrent claims for a
new id, the INSERT of one wins and the others meet its live claim in ``ON CONFLICT``.

The store creates its table when opened (``CREATE TABLE IF NOT EXISTS`` under a transaction
advisory lock, because concurrent ``CREATE TABLE IF NOT EXISTS`` from replicas starting at
once can still collide in PostgreSQL's catalogue) and forgets handled ids after `retention`
seconds (30 days by default: on opening, then at most hourly). What the URL leaves out
(the password, say) asyncpg takes from libpq's variables (``PGPASSWORD``, ``PGHOST``...).
Requires the extra: ``pip install 'debtkit[postgres]'``.

    async with PostgresSeenStore("postgresql://user@db.internal/app") as seen:
        app = webhook_app(adapter, secret, on_event, seen=seen)
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from debtkit.errors import ConfigurationError
from debtkit.events.seen import (
    DEFAULT_RETENTION,
    Claim,
    ClaimOutcome,
    SeenStoreError,
    check_lease,
    check_retention,
    new_token,
    storage_key,
)
from debtkit.urls import redact_url, scrub, url_secrets

if TYPE_CHECKING:
    import asyncpg

__all__ = ["PostgresSeenStore"]

logger = logging.getLogger("debtkit.events.seen")

T = TypeVar("T")

_PRUNE_EVERY = 3_600.0
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _asyncpg() -> Any:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ConfigurationError(
            "a PostgreSQL seen-store needs asyncpg: pip install 'debtkit[postgres]'"
        ) from None
    return asyncpg


class PostgresSeenStore:
    """Event ids in a PostgreSQL table (`table`, created when missing); implements
    `ClaimingSeenStore`. `database` is a ``postgresql://`` URL (a pool of `max_size`
    connections is opened and closed with the store) or the caller's own ``asyncpg.Pool``
    (used as is, never closed). Errors are `SeenStoreError`, never naming a password."""

    def __init__(
        self,
        database: str | asyncpg.Pool,
        *,
        table: str = "debtkit_seen_events",
        retention: float | None = DEFAULT_RETENTION,
        max_size: int = 4,
        connect_timeout: float = 10.0,
    ) -> None:
        if not isinstance(table, str) or not _IDENTIFIER.fullmatch(table):
            raise ConfigurationError("the seen-store table must be a plain SQL identifier")
        check_retention(retention)
        if not isinstance(database, str) and not hasattr(database, "acquire"):
            raise ConfigurationError("a PostgreSQL seen-store needs a URL or an asyncpg pool")
        if isinstance(database, str):
            self._url: str | None = database
            self._shown = redact_url(database)
            self._secrets = url_secrets(database)
            self._pool: asyncpg.Pool | None = None
        else:
            self._url, self._shown, self._secrets = None, "<caller's pool>", ()
            self._pool = database
        self.table = table
        self.retention = retention
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._lock = asyncio.Lock()
        self._ready = False
        self._last_prune = -_PRUNE_EVERY

    def __repr__(self) -> str:
        return f"PostgresSeenStore({self._shown!r}, table={self.table!r})"

    def _error(self, exc: BaseException, doing: str) -> SeenStoreError:
        reason = scrub(f"{doing}: {type(exc).__name__}: {exc}", self._secrets)
        return SeenStoreError(self._shown, reason)

    async def _guarded(self, doing: str, work: Callable[[], Awaitable[T]]) -> T:
        asyncpg = _asyncpg()
        failures = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError)
        try:
            return await work()
        except failures as exc:
            raise self._error(exc, doing) from None

    async def open(self) -> PostgresSeenStore:
        async with self._lock:
            if self._ready:
                return self
            if self._pool is None:
                asyncpg, url = _asyncpg(), self._url
                try:
                    self._pool = await self._guarded(
                        "cannot connect",
                        lambda: asyncpg.create_pool(
                            url, min_size=1, max_size=self._max_size, timeout=self._connect_timeout
                        ),
                    )
                except ValueError:  # asyncpg could not read the URL
                    raise ConfigurationError(f"not a PostgreSQL URL: {self._shown}") from None
            try:
                await self._guarded("cannot create its table", self._create_table)
            except BaseException:
                await self._close_own_pool()
                raise
            self._ready = True
        await self._prune_if_due()
        return self

    async def _create_table(self) -> None:
        assert self._pool is not None
        lock_key = int.from_bytes(
            hashlib.sha256(f"debtkit.seen:{self.table}".encode()).digest()[:8], "big", signed=True
        )
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key)
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.table}" ('
                "event_id text PRIMARY KEY, claim_token text, claim_expires timestamptz, "
                "done_at timestamptz, seen_at timestamptz NOT NULL DEFAULT clock_timestamp())"
            )
            await conn.execute(
                f'CREATE INDEX IF NOT EXISTS "{self.table}_seen_at" ON "{self.table}" (seen_at)'
            )

    async def _close_own_pool(self) -> None:
        if self._url is not None and self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def close(self) -> None:
        async with self._lock:
            self._ready = False
            await self._close_own_pool()

    async def __aenter__(self) -> PostgresSeenStore:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _fetch(self, doing: str, sql: str, *args: object) -> Any:
        if not self._ready:
            await self.open()
        pool = self._pool
        if pool is None:
            raise SeenStoreError(self._shown, "the store is closed")
        return await self._guarded(doing, lambda: pool.fetchval(sql, *args))

    async def contains(self, event_id: str) -> bool:
        done = await self._fetch(
            "cannot read",
            f'SELECT done_at IS NOT NULL FROM "{self.table}" WHERE event_id = $1',
            storage_key(event_id),
        )
        return bool(done)

    async def claim(self, event_id: str, lease: float) -> Claim:
        check_lease(lease)
        token = new_token()
        taken = await self._fetch(
            "cannot claim",
            f'INSERT INTO "{self.table}" AS t (event_id, claim_token, claim_expires) '
            "VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3)) "
            "ON CONFLICT (event_id) DO UPDATE SET claim_token = excluded.claim_token, "
            "claim_expires = excluded.claim_expires, seen_at = clock_timestamp() "
            "WHERE t.done_at IS NULL "
            "AND (t.claim_expires IS NULL OR t.claim_expires <= clock_timestamp()) "
            "RETURNING claim_token",
            storage_key(event_id), token, float(lease),
        )  # fmt: skip
        if taken == token:
            return Claim(event_id, ClaimOutcome.CLAIMED, token)
        # Not taken: handled, or claimed by another receiver. Read which, as it is now.
        done = await self.contains(event_id)
        return Claim(event_id, ClaimOutcome.DONE if done else ClaimOutcome.BUSY)

    async def release(self, claim: Claim) -> None:
        await self._fetch(
            "cannot release",
            f'DELETE FROM "{self.table}" WHERE event_id = $1 AND claim_token = $2 '
            "AND done_at IS NULL",
            storage_key(claim.event_id), claim.token,
        )  # fmt: skip

    async def add(self, event_id: str) -> bool:
        added = await self._fetch(
            "cannot mark handled",
            f'INSERT INTO "{self.table}" AS t (event_id, done_at) VALUES ($1, clock_timestamp()) '
            "ON CONFLICT (event_id) DO UPDATE SET done_at = excluded.done_at, "
            "claim_token = NULL, claim_expires = NULL, seen_at = clock_timestamp() "
            "WHERE t.done_at IS NULL RETURNING true",
            storage_key(event_id),
        )
        await self._prune_if_due()
        return bool(added)

    async def forget_older_than(self, seconds: float) -> int:
        """Drop handled ids (and dead claims) last touched more than `seconds` ago; how many."""
        status = await self._fetch(
            "cannot prune",
            f'WITH gone AS (DELETE FROM "{self.table}" '
            "WHERE seen_at < clock_timestamp() - make_interval(secs => $1) "
            "AND (done_at IS NOT NULL OR claim_expires <= clock_timestamp()) RETURNING 1) "
            "SELECT count(*) FROM gone",
            float(seconds),
        )
        return int(status)

    async def _prune_if_due(self) -> None:
        if self.retention is None or time.monotonic() - self._last_prune < _PRUNE_EVERY:
            return
        self._last_prune = time.monotonic()
        dropped = await self.forget_older_than(self.retention)
        if dropped:
            logger.info("seen-store %s forgot %d handled ids", self.table, dropped)
