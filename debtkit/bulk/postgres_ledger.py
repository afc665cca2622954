"""The shared import ledger on PostgreSQL (`debtkit.bulk.journal.SharedLedger`).

asyncpg is the driver: async-native (no thread pool around a blocking driver), PostgreSQL's
binary protocol (rows and ``COPY`` without text round-tripping), and no libpq to install in
the containers debtkit runs in. It is the optional extra ``debtkit[postgres]``; this module
imports it only when a ledger is opened.

Every method is one round trip: a single SQL statement (data-modifying CTEs where a change
touches both tables), so each is its own transaction without BEGIN/COMMIT trips. Claims use
``FOR UPDATE SKIP LOCKED`` so that workers claiming at once get disjoint debts without
waiting on each other; leases are compared with the database's clock (``now()``), never the
workers', so clock skew between hosts does not matter. `operations` counts round trips (the
benchmark reports them per debt).

Errors: connection failures (refused, unknown host, wrong password, missing database) and
any database error become `LedgerError` naming the URL without its password
(`debtkit.urls.redact_url`); the password is also scrubbed from the driver's message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from debtkit.bulk import pg_sql as sql
from debtkit.bulk.journal import (
    Account,
    Claim,
    ImportInfo,
    ImportProgress,
    LoadedDebt,
    SentState,
    Settlement,
)
from debtkit.bulk.pg_migrations import migrate
from debtkit.errors import ConfigurationError, DebtkitError, LedgerError, Problem
from debtkit.urls import redact_url, scrub, url_secrets

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    _Connection = asyncpg.Connection | PoolConnectionProxy

__all__ = ["PostgresLedger"]

_LOAD_CHUNK = 1000  # rows per COPY: bounds memory while loading a large file
_COPY_COLUMNS = (
    "import_id", "position", "line", "reference", "content_hash", "debt", "outcome", "problems",
)  # fmt: skip


def _problems_json(problems: Sequence[Problem]) -> str | None:
    if not problems:
        return None
    return json.dumps([[p.path, p.code, p.message] for p in problems])


_DEADLOCK_ATTEMPTS = 5


class PostgresLedger:
    """A shared ledger in one PostgreSQL database; many imports, accounts and workers.

    Use as an async context manager: entering connects (a small pool of `pool_size`
    connections) and migrates the schema; leaving closes the pool."""

    def __init__(self, url: str, *, pool_size: int = 4, connect_timeout: float = 30.0) -> None:
        self._dsn = url
        self._secrets = url_secrets(url)
        self.url = redact_url(url)
        self.pool_size = pool_size
        self.connect_timeout = connect_timeout
        self.operations = 0  # round trips made, for benchmarks
        self._pool: asyncpg.Pool | None = None
        self._accounts: dict[str, Account] = {}  # by import id; an import's never changes

    def __repr__(self) -> str:
        return f"PostgresLedger({self.url!r})"

    @contextlib.contextmanager
    def _guarded(self, doing: str) -> Any:
        try:
            yield
        except DebtkitError:  # ours, or the input's: as they are
            raise
        except Exception as exc:  # asyncpg's, OSError, timeouts: typed, without the password
            import asyncpg

            known = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
            if not isinstance(exc, (*known, asyncio.TimeoutError, ValueError)):
                raise
            message = scrub(str(exc) or type(exc).__name__, self._secrets)
            raise LedgerError(self.url, f"{doing} failed: {message}") from None

    async def __aenter__(self) -> PostgresLedger:
        try:
            import asyncpg
        except ImportError:  # pragma: no cover - the extra is installed in the tests
            raise ConfigurationError(
                "a postgresql:// ledger needs asyncpg: pip install 'debtkit[postgres]'"
            ) from None
        with self._guarded("connecting"):
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=1,
                max_size=self.pool_size,
                timeout=self.connect_timeout,
                command_timeout=None,
            )
        try:
            with self._guarded("migrating"):
                async with self._pool.acquire() as connection:
                    await migrate(connection, self.url)
        except BaseException:
            await self._pool.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @contextlib.asynccontextmanager
    async def _connection(self, doing: str) -> AsyncIterator[_Connection]:
        if self._pool is None:
            raise LedgerError(self.url, "is not open: use it as an async context manager")
        with self._guarded(doing):
            async with self._pool.acquire() as connection:
                yield connection

    async def _fetch(self, doing: str, query: str, *args: object) -> list[asyncpg.Record]:
        """One statement (its own transaction). A statement PostgreSQL picks as a deadlock's
        victim was rolled back whole, so it runs again: a worker's lease renewal and the
        settling of the same claim update the same rows, in no agreed order."""
        import asyncpg

        attempt = 1
        while True:
            async with self._connection(doing) as connection:
                self.operations += 1
                try:
                    return list(await connection.fetch(query, *args))
                except asyncpg.DeadlockDetectedError:
                    if attempt >= _DEADLOCK_ATTEMPTS:
                        raise
            await asyncio.sleep(0.01 * attempt)
            attempt += 1

    async def start_import(
        self, import_id: str, account: Account, entries: AsyncIterable[LoadedDebt]
    ) -> ImportInfo:
        async with (
            self._connection("starting an import") as connection,
            connection.transaction(),
        ):
            self.operations += 2  # BEGIN, COMMIT
            created = await connection.fetchval(
                sql.CREATE_IMPORT, import_id, account.provider, account.key
            )
            self.operations += 1
            if created is None:  # it exists: resume
                info = await self._info(connection, import_id)
                self._check_account(info, account)
                await connection.execute(sql.RESUME_IMPORT, import_id)
                self.operations += 1
                return info
            total = 0
            chunk: list[tuple[object, ...]] = []
            async for entry in entries:
                total += 1
                chunk.append(
                        (
                            import_id, entry.position, entry.line, entry.reference,
                            entry.content_hash, entry.debt_json, entry.outcome,
                            _problems_json(entry.problems),
                        )
                    )  # fmt: skip
                if len(chunk) >= _LOAD_CHUNK:
                    await self._copy(connection, chunk)
                    chunk = []
            if chunk:
                await self._copy(connection, chunk)
            await connection.execute(sql.MARK_DUPLICATES, import_id)
            await connection.execute(sql.SET_TOTAL, import_id, total)
            self.operations += 2
            return ImportInfo(import_id, account, total)

    async def _copy(self, connection: _Connection, rows: list[tuple[object, ...]]) -> None:
        self.operations += 1
        await connection.copy_records_to_table(
            "debtkit_import_debts", records=rows, columns=_COPY_COLUMNS
        )

    def _check_account(self, info: ImportInfo, account: Account) -> None:
        if info.account != account:
            raise ConfigurationError(
                f"import {info.import_id!r} in {self.url} belongs to another provider account"
                f" ({info.account.provider} {info.account.key}); use another import id"
            )

    async def _info(self, connection: _Connection, import_id: str) -> ImportInfo:
        row = await connection.fetchrow(sql.IMPORT_INFO, import_id)
        self.operations += 1
        if row is None:
            raise LedgerError(self.url, f"has no import {import_id!r}: start it with import")
        return ImportInfo(import_id, Account(row["provider"], row["account"]), row["total"])

    async def import_info(self, import_id: str) -> ImportInfo:
        async with self._connection("reading an import") as connection:
            return await self._info(connection, import_id)

    async def _account(self, import_id: str) -> Account:
        if import_id not in self._accounts:
            self._accounts[import_id] = (await self.import_info(import_id)).account
        return self._accounts[import_id]

    async def claim(
        self, import_id: str, worker: str, limit: int, lease: float
    ) -> tuple[str, list[Claim]]:
        token = str(uuid.uuid4())
        account = await self._account(import_id)
        rows = await self._fetch(
            "claiming", sql.CLAIM, import_id, limit, token, worker, lease,
            account.provider, account.key,
        )  # fmt: skip
        claims = [
            Claim(
                position=row["position"],
                line=row["line"],
                reference=row["reference"],
                debt_json=row["debt"],
                content_hash=row["content_hash"],
                sent_state=None if row["state"] is None else SentState(row["state"]),
                sent_hash=row["sent_hash"],
                sent_provider_id=row["provider_id"],
                sent_at=None if row["sent_at"] is None else float(row["sent_at"]),
                sent_version=row["version"],
                busy=bool(row["busy"]),
            )
            for row in rows
        ]
        return token, claims

    async def renew(self, import_id: str, token: str, lease: float) -> int:
        rows = await self._fetch("renewing a lease", sql.RENEW, import_id, token, lease)
        return int(rows[0][0])

    async def mark_sending(self, import_id: str, token: str, claims: Sequence[Claim]) -> set[int]:
        if not claims:
            return set()
        positions = [claim.position for claim in claims]
        versions = [claim.sent_version for claim in claims]
        account = await self._account(import_id)
        rows = await self._fetch(
            "marking debts sending", sql.MARK_SENDING, import_id, token, positions, versions,
            account.provider, account.key,
        )  # fmt: skip
        return {row["position"] for row in rows}

    async def settle(
        self, import_id: str, token: str, settlements: Sequence[Settlement]
    ) -> set[int]:
        if not settlements:
            return set()
        columns: list[list[Any]] = [[] for _ in range(7)]
        for s in settlements:
            state = None if s.sent_state is None else s.sent_state.value
            values = (
                s.position, s.outcome, state, s.provider_id, s.error, s.error_type,
                _problems_json(s.problems),
            )  # fmt: skip
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        account = await self._account(import_id)
        rows = await self._fetch(
            "recording outcomes", sql.SETTLE, import_id, token, *columns,
            account.provider, account.key,
        )  # fmt: skip
        return {row[0] for row in rows}

    async def release(self, import_id: str, token: str, positions: Sequence[int]) -> None:
        if positions:
            await self._fetch("releasing claims", sql.RELEASE, import_id, token, list(positions))

    async def progress(self, import_id: str) -> ImportProgress:
        (row,) = await self._fetch("reading progress", sql.PROGRESS, import_id)
        expiry = row["next_expiry"]
        return ImportProgress(
            row["pending"], row["live"], None if expiry is None else max(float(expiry), 0.0)
        )

    async def counts(self, import_id: str) -> dict[str, int]:
        await self.import_info(import_id)  # an unknown import is an error, not zero counts
        rows = await self._fetch("counting", sql.COUNTS, import_id)
        return {row["state"]: row["count"] for row in rows}
