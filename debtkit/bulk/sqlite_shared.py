"""The shared import ledger in an SQLite file (`debtkit.bulk.journal.SharedLedger`): the
embedded default, for workers that share one host (processes, or tasks of one process).

Same tables, states, leases and fencing as the PostgreSQL ledger (`debtkit.bulk.pg_sql`
explains them); what differs is how workers are kept apart. SQLite has no row locks: every
method is one ``BEGIN IMMEDIATE`` transaction, which takes the file's write lock at once, so
claims are serialised (and disjoint) across processes; ``busy_timeout`` makes the others wait
for it. Leases are compared with this host's clock, which every worker of the file shares.
sqlite3 blocks, so each call runs in a thread, one at a time per ledger object.

The file is not the `bulk_import` journal (`debtkit.bulk.ledger`): it carries its own marker
(``application_id`` "dbks"), and a journal file is refused here, as anything else is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import AsyncIterable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from debtkit.bulk.journal import (
    Account,
    Claim,
    ImportInfo,
    ImportProgress,
    LoadedDebt,
    SentState,
    Settlement,
)
from debtkit.errors import ConfigurationError, LedgerDamagedError, LedgerError, Problem

__all__ = ["SqliteSharedLedger"]

APPLICATION_ID = 0x64626B73  # "dbks": a shared debtkit ledger
SCHEMA_VERSION = 1
_T = TypeVar("_T")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS imports (
    import_id TEXT PRIMARY KEY, provider TEXT NOT NULL, account TEXT NOT NULL,
    total INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS import_debts (
    import_id TEXT NOT NULL, position INTEGER NOT NULL, line INTEGER, reference TEXT,
    content_hash TEXT, debt TEXT, outcome TEXT, provider_id TEXT, error TEXT, error_type TEXT,
    problems TEXT, claim_token TEXT, claimed_by TEXT, lease_until REAL, updated_at REAL,
    PRIMARY KEY (import_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS import_debts_reference ON import_debts (import_id, reference);
CREATE TABLE IF NOT EXISTS sent (
    reference TEXT NOT NULL, account TEXT NOT NULL, provider TEXT NOT NULL, state TEXT NOT NULL,
    content_hash TEXT NOT NULL, provider_id TEXT, import_id TEXT, position INTEGER,
    version INTEGER NOT NULL DEFAULT 0, sent_at REAL, updated_at REAL,
    PRIMARY KEY (reference, account, provider)
) WITHOUT ROWID;
"""
_RETRY_RELEASED = 1.0  # seconds before a released (busy) debt can be claimed again


def _problems_json(problems: Sequence[Problem]) -> str | None:
    return json.dumps([[p.path, p.code, p.message] for p in problems]) if problems else None


class SqliteSharedLedger:
    """A shared ledger in the SQLite file `path`; use as an async context manager."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self.busy_timeout = busy_timeout
        self.operations = 0  # transactions made, for benchmarks
        self._db: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._accounts: dict[str, Account] = {}

    def __repr__(self) -> str:
        return f"SqliteSharedLedger({self.url!r})"

    async def __aenter__(self) -> SqliteSharedLedger:
        await asyncio.to_thread(self._open)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await asyncio.to_thread(db.close)

    def _open(self) -> None:
        with self._guarded():
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            try:
                db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                with _transaction(db):
                    self._migrate(db)
            except BaseException:
                db.close()
                raise
        self._db = db

    def _migrate(self, db: sqlite3.Connection) -> None:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        empty = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        if application_id == 0 and empty:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        elif application_id != APPLICATION_ID:
            raise LedgerDamagedError(
                self.url, "is not a shared debtkit ledger (a bulk_import journal, or another file)"
            )
        if version > SCHEMA_VERSION:
            raise LedgerError(self.url, f"was written by a newer debtkit (schema {version})")
        if version < SCHEMA_VERSION:
            # statement by statement: executescript would commit the transaction first
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise LedgerError(self.url, f"cannot be used: {exc}") from None

    async def _call(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """`work` in one immediate transaction, in a thread."""
        if self._db is None:
            raise LedgerError(self.url, "is not open: use it as an async context manager")
        db = self._db

        def run() -> _T:
            with self._guarded(), _transaction(db):
                return work(db)

        async with self._lock:
            self.operations += 1
            return await asyncio.to_thread(run)

    async def start_import(
        self, import_id: str, account: Account, entries: AsyncIterable[LoadedDebt]
    ) -> ImportInfo:
        if self._db is None:
            raise LedgerError(self.url, "is not open: use it as an async context manager")
        db = self._db
        async with self._lock:  # one transaction across the chunks of the load
            await asyncio.to_thread(self._begin, db)
            try:
                info = await self._load(db, import_id, account, entries)
            except BaseException:
                await asyncio.to_thread(db.execute, "ROLLBACK")
                raise
            await asyncio.to_thread(db.execute, "COMMIT")
            return info

    def _begin(self, db: sqlite3.Connection) -> None:
        with self._guarded():
            db.execute("BEGIN IMMEDIATE")

    async def _load(
        self, db: sqlite3.Connection, import_id: str, account: Account, entries: Any
    ) -> ImportInfo:
        def create() -> tuple[str, str, int] | None:
            row = db.execute(
                "SELECT provider, account, total FROM imports WHERE import_id = ?", (import_id,)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO imports VALUES (?, ?, ?, 0, ?)",
                    (import_id, account.provider, account.key, time.time()),
                )
            return None if row is None else (str(row[0]), str(row[1]), int(row[2]))

        self.operations += 1
        existing = await asyncio.to_thread(self._guarded_call, create)
        if existing is not None:
            info = ImportInfo(import_id, Account(existing[0], existing[1]), existing[2])
            if info.account != account:
                raise ConfigurationError(
                    f"import {import_id!r} in {self.url} belongs to another provider account"
                    f" ({info.account.provider} {info.account.key}); use another import id"
                )
            await asyncio.to_thread(self._guarded_call, lambda: _resume(db, import_id))
            return info
        total, chunk = 0, []
        async for entry in entries:
            total += 1
            chunk.append(_row(import_id, entry))
            if len(chunk) >= 1000:
                await asyncio.to_thread(self._guarded_call, lambda c=chunk: _insert(db, c))
                chunk = []
        await asyncio.to_thread(self._guarded_call, lambda: _insert(db, chunk))
        await asyncio.to_thread(self._guarded_call, lambda: _finish(db, import_id, total))
        return ImportInfo(import_id, account, total)

    def _guarded_call(self, work: Callable[[], _T]) -> _T:
        with self._guarded():
            return work()

    async def import_info(self, import_id: str) -> ImportInfo:
        row = await self._call(
            lambda db: db.execute(
                "SELECT provider, account, total FROM imports WHERE import_id = ?", (import_id,)
            ).fetchone()
        )
        if row is None:
            raise LedgerError(self.url, f"has no import {import_id!r}: start it with import")
        return ImportInfo(import_id, Account(row[0], row[1]), row[2])

    async def _account(self, import_id: str) -> Account:
        if import_id not in self._accounts:
            self._accounts[import_id] = (await self.import_info(import_id)).account
        return self._accounts[import_id]

    async def claim(
        self, import_id: str, worker: str, limit: int, lease: float
    ) -> tuple[str, list[Claim]]:
        token = uuid.uuid4().hex
        account = await self._account(import_id)
        claims = await self._call(
            lambda db: _claim(db, import_id, account, token, worker, limit, lease)
        )
        return token, claims

    async def renew(self, import_id: str, token: str, lease: float) -> int:
        return await self._call(
            lambda db: (
                db.execute(
                    "UPDATE import_debts SET lease_until = ? WHERE import_id = ?"
                    " AND claim_token = ? AND outcome IS NULL",
                    (time.time() + lease, import_id, token),
                ).rowcount
            )
        )

    async def mark_sending(self, import_id: str, token: str, claims: Sequence[Claim]) -> set[int]:
        if not claims:
            return set()
        account = await self._account(import_id)
        return await self._call(lambda db: _mark_sending(db, import_id, account, token, claims))

    async def settle(
        self, import_id: str, token: str, settlements: Sequence[Settlement]
    ) -> set[int]:
        if not settlements:
            return set()
        account = await self._account(import_id)
        return await self._call(lambda db: _settle(db, import_id, account, token, settlements))

    async def release(self, import_id: str, token: str, positions: Sequence[int]) -> None:
        if positions:
            rows = [(time.time() + _RETRY_RELEASED, import_id, token, p) for p in positions]
            await self._call(
                lambda db: db.executemany(
                    "UPDATE import_debts SET claim_token = NULL, claimed_by = NULL,"
                    " lease_until = ? WHERE import_id = ? AND claim_token = ? AND position = ?"
                    " AND outcome IS NULL",
                    rows,
                )
            )

    async def progress(self, import_id: str) -> ImportProgress:
        now = time.time()
        pending, live, first = await self._call(
            lambda db: db.execute(
                "SELECT count(*), count(CASE WHEN lease_until > :now THEN 1 END),"
                " min(CASE WHEN lease_until > :now THEN lease_until END)"
                " FROM import_debts WHERE import_id = :id AND outcome IS NULL",
                {"now": now, "id": import_id},
            ).fetchone()
        )
        return ImportProgress(pending, live, None if first is None else max(first - now, 0.0))

    async def counts(self, import_id: str) -> dict[str, int]:
        await self.import_info(import_id)
        rows = await self._call(
            lambda db: db.execute(
                "SELECT coalesce(outcome, CASE WHEN claim_token IS NOT NULL AND lease_until > ?"
                " THEN 'claimed' ELSE 'pending' END), count(*) FROM import_debts"
                " WHERE import_id = ? GROUP BY 1",
                (time.time(), import_id),
            ).fetchall()
        )
        return {str(state): int(count) for state, count in rows}


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _row(import_id: str, entry: LoadedDebt) -> tuple[object, ...]:
    return (
        import_id, entry.position, entry.line, entry.reference, entry.content_hash,
        entry.debt_json, entry.outcome, _problems_json(entry.problems), time.time(),
    )  # fmt: skip


def _insert(db: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO import_debts (import_id, position, line, reference, content_hash,"
        " debt, outcome, problems, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _finish(db: sqlite3.Connection, import_id: str, total: int) -> None:
    db.execute(
        "UPDATE import_debts SET outcome = CASE WHEN content_hash = f.first_hash"
        " THEN 'duplicate' ELSE 'changed' END, error = 'reference appears earlier in input'"
        " FROM (SELECT position, first_value(content_hash) OVER w AS first_hash,"
        " row_number() OVER w AS occurrence FROM import_debts WHERE import_id = :id"
        " AND outcome IS NULL AND reference IS NOT NULL"
        " WINDOW w AS (PARTITION BY reference ORDER BY position)) AS f"
        " WHERE import_debts.import_id = :id AND import_debts.position = f.position"
        " AND f.occurrence > 1",
        {"id": import_id},
    )
    db.execute("UPDATE imports SET total = ? WHERE import_id = ?", (total, import_id))


def _resume(db: sqlite3.Connection, import_id: str) -> None:
    db.execute(
        "UPDATE import_debts SET outcome = NULL, provider_id = NULL, error = NULL,"
        " error_type = NULL, problems = NULL WHERE import_id = ?"
        " AND outcome IN ('rejected', 'ambiguous', 'not_sent')",
        (import_id,),
    )


def _claim(
    db: sqlite3.Connection, import_id: str, account: Account, token: str, worker: str,
    limit: int, lease: float,
) -> list[Claim]:  # fmt: skip
    now = time.time()
    rows = db.execute(
        "UPDATE import_debts SET claim_token = :token, claimed_by = :worker,"
        " lease_until = :until, updated_at = :now WHERE import_id = :id AND position IN ("
        " SELECT position FROM import_debts WHERE import_id = :id AND outcome IS NULL"
        " AND (lease_until IS NULL OR lease_until < :now) ORDER BY position LIMIT :limit)"
        " RETURNING position, line, reference, debt, content_hash",
        {"token": token, "worker": worker, "until": now + lease, "now": now, "id": import_id,
         "limit": limit},
    ).fetchall()  # fmt: skip
    claims = []
    for position, line, reference, debt, digest in sorted(rows):
        sent = db.execute(
            "SELECT state, content_hash, provider_id, sent_at, version, import_id, position"
            " FROM sent WHERE reference = ? AND account = ? AND provider = ?",
            (reference, account.key, account.provider),
        ).fetchone()
        busy = False
        owner = None if sent is None else (sent[5], sent[6])
        if sent is not None and sent[0] == "sending" and owner != (import_id, position):
            busy = db.execute(
                "SELECT 1 FROM import_debts WHERE import_id = ? AND position = ?"
                " AND outcome IS NULL AND lease_until > ?",
                (sent[5], sent[6], now),
            ).fetchone() is not None  # fmt: skip
        state, sent_hash, provider_id, sent_at, version = (sent or (None,) * 7)[:5]
        known = None if state is None else SentState(state)
        claim = Claim(
            position, line, reference, debt, digest, known, sent_hash, provider_id, sent_at,
            version, busy,
        )  # fmt: skip
        claims.append(claim)
    return claims


def _mark_sending(
    db: sqlite3.Connection, import_id: str, account: Account, token: str, claims: Sequence[Claim]
) -> set[int]:
    now = time.time()
    allowed = set()
    for claim in claims:
        mine = db.execute(
            "SELECT 1 FROM import_debts WHERE import_id = ? AND position = ? AND claim_token = ?"
            " AND outcome IS NULL AND lease_until > ?",
            (import_id, claim.position, token, now),
        ).fetchone()
        if mine is None:
            continue
        key = (claim.reference, account.key, account.provider)
        if claim.sent_version is None:
            changed = db.execute(
                "INSERT INTO sent VALUES (?, ?, ?, 'sending', ?, NULL, ?, ?, 1, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (*key, claim.content_hash, import_id, claim.position, now, now),
            ).rowcount
        else:
            changed = db.execute(
                "UPDATE sent SET state = 'sending', content_hash = ?, import_id = ?,"
                " position = ?, version = version + 1, sent_at = ?, updated_at = ?"
                " WHERE reference = ? AND account = ? AND provider = ? AND version = ?",
                (claim.content_hash, import_id, claim.position, now, now, *key,
                 claim.sent_version),
            ).rowcount  # fmt: skip
        if changed:
            allowed.add(claim.position)
    return allowed


def _settle(
    db: sqlite3.Connection, import_id: str, account: Account, token: str,
    settlements: Sequence[Settlement],
) -> set[int]:  # fmt: skip
    now = time.time()
    recorded = set()
    for s in settlements:
        row = db.execute(
            "UPDATE import_debts SET outcome = ?, provider_id = ?, error = ?, error_type = ?,"
            " problems = ?, claim_token = NULL, claimed_by = NULL, lease_until = NULL,"
            " updated_at = ? WHERE import_id = ? AND position = ? AND claim_token = ?"
            " AND outcome IS NULL RETURNING reference, content_hash",
            (s.outcome, s.provider_id, s.error, s.error_type, _problems_json(s.problems), now,
             import_id, s.position, token),
        ).fetchone()  # fmt: skip
        if row is None:
            continue
        recorded.add(s.position)
        if s.sent_state is not None:
            db.execute(
                "INSERT INTO sent VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, NULL, ?)"
                " ON CONFLICT DO UPDATE SET state = excluded.state,"
                " content_hash = excluded.content_hash,"
                " provider_id = coalesce(excluded.provider_id, sent.provider_id),"
                " import_id = excluded.import_id, position = excluded.position,"
                " version = sent.version + 1, updated_at = excluded.updated_at"
                " WHERE sent.state <> 'created' OR excluded.state = 'created'",
                (row[0], account.key, account.provider, s.sent_state.value, row[1],
                 s.provider_id, import_id, s.position, now),
            )  # fmt: skip
    return recorded
