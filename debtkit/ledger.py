"""The import journal: an embedded SQLite file recording, per debt, what debtkit knows.

A row is written *before* a request goes out (state ``sending``) and again once the outcome
is known, so after a crash or ``kill -9`` a rerun can tell apart what was created (skip it),
what was in flight (look it up at the provider before sending again) and what never left.
WAL mode with ``synchronous=NORMAL`` survives a killed process (not a power cut, which is
not worth an fsync per debt); each state change is its own committed transaction.
"""

from __future__ import annotations

import enum
import hashlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import attrs

from debtkit.conversion import to_json
from debtkit.model import Debt

__all__ = ["Ledger", "LedgerEntry", "LedgerState", "content_hash"]


class LedgerState(str, enum.Enum):
    QUEUED = "queued"  # accepted for sending by a run; nothing has left yet
    SENDING = "sending"  # a request carrying it may have left: outcome unknown until checked
    CREATED = "created"
    REJECTED = "rejected"  # the provider refused it; safe to send again after a fix
    INVALID = "invalid"  # refused locally, never sent
    AMBIGUOUS = "ambiguous"  # sent, and no lookup could tell whether it exists


@attrs.frozen
class LedgerEntry:
    provider: str
    reference: str
    content_hash: str
    state: LedgerState
    provider_id: str | None
    last_error: str | None
    updated_at: float
    run_id: str | None


def content_hash(debt: Debt) -> str:
    """A digest of everything the creditor handed over, to notice a changed debt."""
    return hashlib.sha256(to_json(debt).encode()).hexdigest()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS debts (
    provider TEXT NOT NULL,
    reference TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    provider_id TEXT,
    last_error TEXT,
    updated_at REAL NOT NULL,
    run_id TEXT,
    PRIMARY KEY (provider, reference)
) WITHOUT ROWID
"""


_COLUMNS = "provider, reference, content_hash, state, provider_id, last_error, updated_at, run_id"


def _entry(row: tuple[object, ...]) -> LedgerEntry:
    return LedgerEntry(
        str(row[0]), str(row[1]), str(row[2]), LedgerState(row[3]),
        row[4], row[5], float(row[6]), row[7],  # type: ignore[arg-type]
    )  # fmt: skip


class Ledger:
    """One SQLite file; use as a context manager. Not shared between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, provider: str, reference: str) -> LedgerEntry | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM debts WHERE provider = ? AND reference = ?",
            (provider, reference),
        ).fetchone()
        return None if row is None else _entry(row)

    def record(
        self,
        provider: str,
        entries: Iterable[tuple[str, str, LedgerState, str | None, str | None]],
        run_id: str | None = None,
    ) -> None:
        """Upsert (reference, content hash, state, provider id, last error) rows in one commit."""
        now = time.time()
        rows = [
            (provider, ref, digest, state.value, pid, err, now, run_id)
            for ref, digest, state, pid, err in entries
        ]
        if not rows:
            return
        with self._db:  # one transaction
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO debts VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (provider, reference) DO UPDATE SET"
                " content_hash = excluded.content_hash, state = excluded.state,"
                " provider_id = excluded.provider_id,"
                " last_error = excluded.last_error, updated_at = excluded.updated_at,"
                " run_id = coalesce(excluded.run_id, debts.run_id)",
                rows,
            )

    def claim(self, provider: str, reference: str, run_id: str) -> None:
        """Mark an entry as met by `run_id` without touching its state."""
        self._db.execute(
            "UPDATE debts SET run_id = ? WHERE provider = ? AND reference = ?",
            (run_id, provider, reference),
        )

    def entries(self, provider: str, state: LedgerState | None = None) -> Iterator[LedgerEntry]:
        query = f"SELECT {_COLUMNS} FROM debts WHERE provider = ?"
        params: tuple[str, ...] = (provider,)
        if state is not None:
            query += " AND state = ?"
            params += (state.value,)
        for row in self._db.execute(query + " ORDER BY reference", params):
            yield _entry(row)

    def counts(self, provider: str) -> dict[LedgerState, int]:
        rows = self._db.execute(
            "SELECT state, COUNT(*) FROM debts WHERE provider = ? GROUP BY state", (provider,)
        )
        return {LedgerState(state): count for state, count in rows}
