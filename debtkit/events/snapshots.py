"""The sync's memory: what debtkit last saw of each case and which payments it has reported.

An embedded SQLite file at a path the caller chooses (``:memory:`` for a throwaway one). WAL
mode with ``synchronous=NORMAL`` survives a killed process, as the import ledger does. Every
`record_*` call is its own committed transaction, so the file always says exactly which
events have been handed over and acknowledged (see `debtkit.events.sync`). Rows hold ids and
statuses only: no debtor data is ever written here.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ParamSpec, TypeVar

import attrs

from debtkit.errors import ConfigurationError, DebtkitError

__all__ = ["CaseSnapshot", "SnapshotStore", "SnapshotStoreError"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    provider TEXT NOT NULL,
    case_id TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_status TEXT,
    version INTEGER NOT NULL,
    PRIMARY KEY (provider, case_id)
);
CREATE TABLE IF NOT EXISTS payments (
    provider TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    case_id TEXT,
    PRIMARY KEY (provider, payment_id)
);
"""
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit


_P = ParamSpec("_P")
_R = TypeVar("_R")


class SnapshotStoreError(DebtkitError):
    """The snapshot file could not be read or written (disk full, locked, corrupted)."""


def _guarded(method: Callable[_P, _R]) -> Callable[_P, _R]:
    @functools.wraps(method)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise SnapshotStoreError(f"snapshot store: {exc}") from None

    return run


@attrs.frozen
class CaseSnapshot:
    """A case as the last acknowledged sync saw it; `version` counts its recorded changes."""

    case_id: str
    status: str  # the neutral CaseStatus value
    provider_status: str | None
    version: int


class SnapshotStore:
    """Snapshots of cases and the set of reported payments, per provider, in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open the snapshot store {self.path}: {exc}") from None

    def __repr__(self) -> str:
        return f"SnapshotStore({self.path!r})"

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SnapshotStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> SnapshotStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    # -- cases -----------------------------------------------------------------------------

    @_guarded
    def cases(self, provider: str, case_ids: Iterable[str]) -> dict[str, CaseSnapshot]:
        """The snapshots of those of `case_ids` that have one."""
        wanted = list(dict.fromkeys(case_ids))
        found: dict[str, CaseSnapshot] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT case_id, status, provider_status, version FROM cases "
                f"WHERE provider = ? AND case_id IN ({marks})",
                (provider, *chunk),
            )
            for case_id, status, provider_status, version in rows:
                found[case_id] = CaseSnapshot(case_id, status, provider_status, version)
        return found

    @_guarded
    def case_count(self, provider: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM cases WHERE provider = ?", (provider,))
        return int(row.fetchone()[0])

    def record_case(self, provider: str, snapshot: CaseSnapshot) -> None:
        self.record_cases(provider, [snapshot])

    @_guarded
    def record_cases(self, provider: str, snapshots: Iterable[CaseSnapshot]) -> None:
        """Store these snapshots in one transaction."""
        rows = [(provider, s.case_id, s.status, s.provider_status, s.version) for s in snapshots]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO cases (provider, case_id, status, provider_status, version) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, case_id) DO UPDATE SET "
                "status = excluded.status, provider_status = excluded.provider_status, "
                "version = excluded.version",
                rows,
            )

    # -- payments --------------------------------------------------------------------------

    @_guarded
    def payment_ids(self, provider: str) -> set[str]:
        rows = self._db.execute("SELECT payment_id FROM payments WHERE provider = ?", (provider,))
        return {row[0] for row in rows}

    @_guarded
    def record_payment(self, provider: str, payment_id: str, case_id: str | None) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO payments (provider, payment_id, case_id) VALUES (?, ?, ?)",
                (provider, payment_id, case_id),
            )

    @_guarded
    def forget_payment(self, provider: str, payment_id: str) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "DELETE FROM payments WHERE provider = ? AND payment_id = ?",
                (provider, payment_id),
            )
