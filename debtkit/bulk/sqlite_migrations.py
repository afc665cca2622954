"""The shared SQLite ledger's file marker and schema, as numbered migrations.

The tables are those of the PostgreSQL ledger (`debtkit.bulk.pg_migrations`), in SQLite's
types: times are epoch seconds (REAL), tokens text. Applied versions are rows of
``debtkit_schema``, also mirrored in the header's ``user_version``.

`migrate` runs in one ``BEGIN IMMEDIATE`` transaction: SQLite's single write lock is what
the advisory lock is on PostgreSQL, so processes opening a new file at once apply each
migration exactly once (the others wait, then find it applied), and a crash mid-migration
rolls back to the previous version. A file at a newer version than this debtkit knows is
refused rather than written with an older idea of the tables.

The marker: the header's ``application_id`` is `SHARED_APPLICATION_ID` ("dbks"), not the
streaming journal's ("dbkl", `debtkit.bulk.ledger.APPLICATION_ID`). The two files hold
different tables and have different owners (one process, or many workers), so each refuses
the other's file instead of writing into it: `is_shared_ledger_file` lets the CLI say so.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from debtkit.bulk.ledger import APPLICATION_ID as STREAMING_APPLICATION_ID
from debtkit.errors import LedgerDamagedError, LedgerError

__all__ = ["LATEST_VERSION", "MIGRATIONS", "SHARED_APPLICATION_ID", "is_shared_ledger_file"]

SHARED_APPLICATION_ID = 0x64626B73  # "dbks" in the SQLite header: a debtkit shared ledger

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE debtkit_imports (
            import_id TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            account TEXT NOT NULL,
            total INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        )
        """,
        """
        CREATE TABLE debtkit_import_debts (
            import_id TEXT NOT NULL REFERENCES debtkit_imports ON DELETE CASCADE,
            position INTEGER NOT NULL,
            line INTEGER,
            reference TEXT,
            content_hash TEXT,
            debt TEXT,
            outcome TEXT,
            provider_id TEXT,
            error TEXT,
            error_type TEXT,
            problems TEXT,
            claim_token TEXT,
            claimed_by TEXT,
            lease_until REAL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (import_id, position)
        )
        """,
        """
        CREATE INDEX debtkit_import_debts_pending
            ON debtkit_import_debts (import_id, position, lease_until) WHERE outcome IS NULL
        """,
        """
        CREATE INDEX debtkit_import_debts_token ON debtkit_import_debts (claim_token)
        """,
        """
        CREATE TABLE debtkit_sent (
            provider TEXT NOT NULL,
            account TEXT NOT NULL,
            reference TEXT NOT NULL,
            state TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            provider_id TEXT,
            import_id TEXT,
            position INTEGER,
            version INTEGER NOT NULL DEFAULT 0,
            sent_at REAL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (provider, account, reference)
        ) WITHOUT ROWID
        """,
    ),
)
LATEST_VERSION = len(MIGRATIONS)


def is_shared_ledger_file(path: Path) -> bool:
    """Whether `path` is a shared ledger, read from its header without opening it."""
    try:
        with open(path, "rb") as f:
            header = f.read(72)
    except OSError:
        return False
    return (
        header.startswith(b"SQLite format 3\x00")
        and int.from_bytes(header[68:72], "big") == SHARED_APPLICATION_ID
    )


def migrate(db: sqlite3.Connection, name: str) -> int:
    """Mark a new file and bring the schema to `LATEST_VERSION`; the version found before.
    `db` is in autocommit mode (``isolation_level=None``); `name` names the file in errors."""
    db.execute("BEGIN IMMEDIATE")
    try:
        found = _check_marker(db, name)
        if found < LATEST_VERSION:
            db.execute(f"PRAGMA application_id = {SHARED_APPLICATION_ID}")
            db.execute(
                "CREATE TABLE IF NOT EXISTS debtkit_schema"
                " (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
            )
            for version in range(found + 1, LATEST_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    db.execute(statement)
                db.execute("INSERT INTO debtkit_schema VALUES (?, ?)", (version, time.time()))
            db.execute(f"PRAGMA user_version = {LATEST_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return found


def _check_marker(db: sqlite3.Connection, name: str) -> int:
    """The file's schema version (0: a new, empty file); refuses any other file."""
    application_id = db.execute("PRAGMA application_id").fetchone()[0]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    if application_id == 0 and not tables:
        return 0
    if application_id == STREAMING_APPLICATION_ID:
        raise LedgerError(
            name,
            "is the journal of an import without --import (one process); a shared import"
            " needs a file of its own: pass another --ledger path",
        )
    if application_id != SHARED_APPLICATION_ID or "debtkit_schema" not in tables:
        raise LedgerDamagedError(
            name, "is not a debtkit shared ledger (no debtkit marker); nothing was written"
        )
    found = int(db.execute("SELECT coalesce(max(version), 0) FROM debtkit_schema").fetchone()[0])
    if found > LATEST_VERSION:
        raise LedgerError(
            name,
            f"was written by a newer debtkit (schema {found}, this one knows up to"
            f" {LATEST_VERSION}); upgrade debtkit",
        )
    return found
