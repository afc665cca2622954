"""The shared SQLite ledger's operations, each one transaction on one connection.

These are the statements of `debtkit.bulk.pg_sql` in SQLite (no RETURNING, UPDATE FROM or
arrays, so any SQLite from 3.24 on with JSON1 works). A batch is one statement, not one per
debt: its rows travel as one JSON parameter (``json_each``) into a temporary table, and
claims come back as one JSON row. Python's sqlite3 releases the GIL at each step, and taking
it back from a busy event loop can wait for the interpreter's switch interval (5 ms): a
statement per debt made the ledger's thread 25% slower than the loop (benchmarks/ledger.py).

Every write is a ``BEGIN IMMEDIATE`` transaction:
it takes the database's single write lock *before* reading, so what a transaction reads (the
pending debts it then claims, the account row it compares) cannot change until it commits.
Two processes claiming at once are serialised by that lock: the second one's read sees the
first one's claims. (A deferred ``BEGIN`` would read first and then fail with
``SQLITE_BUSY`` on upgrading to a writer, which no busy timeout waits out.) Reads
(`progress`, `counts`) are plain transactions: in WAL mode they read a snapshot without
blocking the writer.

Fencing is the PostgreSQL ledger's: writes about claimed debts name the claim's token, and
the account table (``debtkit_sent``) is compared and swapped on ``version``. Leases are
compared with ``time.time()`` of whichever process writes: the processes sharing a file share
a host (see `debtkit.bulk.sqlite_shared`), hence a clock.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Sequence
from typing import Any

from debtkit.bulk.journal import Account, Claim, ImportInfo, LoadedDebt, SentState, Settlement
from debtkit.errors import Problem

__all__ = [
    "Immediate",
    "claim",
    "counts",
    "create_import",
    "import_info",
    "load_into_temp",
    "mark_sending",
    "progress",
    "release",
    "renew",
    "resume_import",
    "settle",
    "start_loading",
]

_TEMP = "temp.debtkit_load"
_BATCH = "temp.debtkit_batch"
_FROM_BATCH = ", ".join(  # a settlement's columns, from its row in the batch
    f"{column} = (SELECT {value} FROM {_BATCH} t"
    " WHERE t.position = debtkit_import_debts.position)"
    for column, value in (
        ("outcome", "a"), ("provider_id", "c"), ("error", "d"), ("error_type", "e"),
        ("problems", "f"),
    )
)  # fmt: skip
RELEASE_PAUSE = 1.0  # a released debt (a busy reference) waits this long before a new claim


class Immediate:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error) on an autocommit
    connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.db.execute("COMMIT")
        elif self.db.in_transaction:
            self.db.execute("ROLLBACK")


def problems_json(problems: Sequence[Problem]) -> str | None:
    if not problems:
        return None
    return json.dumps([[p.path, p.code, p.message] for p in problems])


def import_info(db: sqlite3.Connection, import_id: str) -> ImportInfo | None:
    row = db.execute(
        "SELECT provider, account, total FROM debtkit_imports WHERE import_id = ?", (import_id,)
    ).fetchone()
    return None if row is None else ImportInfo(import_id, Account(row[0], row[1]), row[2])


def resume_import(db: sqlite3.Connection, import_id: str) -> ImportInfo | None:
    """If the import exists, make what did not end created pending again; its info."""
    with Immediate(db):
        info = import_info(db, import_id)
        if info is not None:
            db.execute(
                "UPDATE debtkit_import_debts SET outcome = NULL, provider_id = NULL,"
                " error = NULL, error_type = NULL, problems = NULL, updated_at = ?"
                " WHERE import_id = ? AND outcome IN ('rejected', 'ambiguous', 'not_sent')",
                (time.time(), import_id),
            )
        return info


def start_loading(db: sqlite3.Connection) -> None:
    """A fresh temporary table for an import's entries: it belongs to this connection alone,
    so filling it takes no lock on the shared file."""
    db.execute(f"DROP TABLE IF EXISTS {_TEMP}")
    db.execute(
        f"CREATE TABLE {_TEMP} (position INTEGER PRIMARY KEY, line INTEGER, reference TEXT,"
        " content_hash TEXT, debt TEXT, outcome TEXT, error TEXT, problems TEXT)"
    )


def load_into_temp(db: sqlite3.Connection, entries: Sequence[LoadedDebt]) -> None:
    rows = [
        (e.position, e.line, e.reference, e.content_hash, e.debt_json, e.outcome, None,
         problems_json(e.problems))
        for e in entries
    ]  # fmt: skip
    # one statement (see above); writes the temporary table only: no lock on the shared file
    db.execute(
        f"INSERT INTO {_TEMP} SELECT "
        + ", ".join(f"json_extract(value, '$[{n}]')" for n in range(8))
        + " FROM json_each(?)",
        (json.dumps(rows),),
    )


def create_import(
    db: sqlite3.Connection, import_id: str, account: Account
) -> tuple[ImportInfo, bool]:
    """Copy the loaded entries into a new import in one transaction, unless another process
    created it meanwhile; (its info, whether this call created it)."""
    db.execute("CREATE INDEX IF NOT EXISTS temp.debtkit_load_ref ON debtkit_load (reference)")
    # A reference repeated in the input: the first one is sent, later ones are final here.
    # (The first valid entry of a reference is never updated, so the subqueries see it.)
    db.execute(
        "UPDATE debtkit_load SET error = 'reference appears earlier in input',"
        " outcome = CASE WHEN content_hash = (SELECT f.content_hash FROM debtkit_load f"
        "   WHERE f.reference = debtkit_load.reference AND f.outcome IS NULL"
        "   ORDER BY f.position LIMIT 1) THEN 'duplicate' ELSE 'changed' END"
        " WHERE outcome IS NULL AND reference IS NOT NULL AND position > (SELECT"
        "   min(f.position) FROM debtkit_load f WHERE f.reference = debtkit_load.reference"
        "   AND f.outcome IS NULL)"
    )
    now = time.time()
    try:
        with Immediate(db):
            existing = import_info(db, import_id)
            if existing is not None:
                return existing, False
            (total,) = db.execute(f"SELECT count(*) FROM {_TEMP}").fetchone()
            db.execute(
                "INSERT INTO debtkit_imports VALUES (?, ?, ?, ?, ?)",
                (import_id, account.provider, account.key, total, now),
            )
            db.execute(
                "INSERT INTO debtkit_import_debts (import_id, position, line, reference,"
                " content_hash, debt, outcome, error, problems, updated_at)"
                " SELECT ?, position, line, reference, content_hash, debt, outcome, error,"
                f" problems, ? FROM {_TEMP} ORDER BY position",
                (import_id, now),
            )
            return ImportInfo(import_id, account, total), True
    finally:
        db.execute(f"DROP TABLE IF EXISTS {_TEMP}")


def _batch(db: sqlite3.Connection, rows: Sequence[Sequence[object]]) -> None:
    """``temp.debtkit_batch`` holds `rows` (position, then up to 7 values), from one JSON
    parameter: one statement, whatever the batch's size."""
    db.execute(f"DROP TABLE IF EXISTS {_BATCH}")
    db.execute(f"CREATE TABLE {_BATCH} (position INTEGER PRIMARY KEY, a, b, c, d, e, f, g)")
    db.execute(
        f"INSERT INTO {_BATCH} SELECT "
        + ", ".join(f"json_extract(value, '$[{n}]')" for n in range(8))
        + " FROM json_each(?)",
        (json.dumps(rows),),
    )


def claim(
    db: sqlite3.Connection, import_id: str, worker: str, limit: int, lease: float
) -> tuple[str, list[Claim]]:
    token = str(uuid.uuid4())
    with Immediate(db):
        now = time.time()
        db.execute(
            "UPDATE debtkit_import_debts SET claim_token = ?, claimed_by = ?, lease_until = ?,"
            " updated_at = ? WHERE import_id = ? AND position IN ("
            "   SELECT position FROM debtkit_import_debts WHERE import_id = ?"
            "   AND outcome IS NULL AND (lease_until IS NULL OR lease_until < ?)"
            "   ORDER BY position LIMIT ?)",
            (token, worker, now + lease, now, import_id, import_id, now, limit),
        )
        (rows,) = db.execute(
            "SELECT json_group_array(json_array(d.position, d.line, d.reference, d.debt,"
            " d.content_hash, s.state, s.content_hash, s.provider_id, s.sent_at, s.version,"
            " coalesce(s.state = 'sending' AND NOT (s.import_id = d.import_id"
            "   AND s.position = d.position) AND EXISTS (SELECT 1 FROM debtkit_import_debts o"
            "   WHERE o.import_id = s.import_id AND o.position = s.position"
            "   AND o.outcome IS NULL AND o.lease_until > ?), 0)))"
            " FROM debtkit_import_debts d INDEXED BY debtkit_import_debts_token"
            " JOIN debtkit_imports i ON i.import_id = d.import_id"
            " LEFT JOIN debtkit_sent s ON s.provider = i.provider AND s.account = i.account"
            "   AND s.reference = d.reference"
            " WHERE d.claim_token = ? AND d.import_id = ?",
            (now, token, import_id),
        ).fetchone()
    return token, sorted((_claim(row) for row in json.loads(rows)), key=_position)


def _position(claim: Claim) -> int:
    return claim.position


def _claim(row: list[Any]) -> Claim:
    return Claim(
        position=row[0],
        line=row[1],
        reference=row[2],
        debt_json=row[3],
        content_hash=row[4],
        sent_state=None if row[5] is None else SentState(row[5]),
        sent_hash=row[6],
        sent_provider_id=row[7],
        sent_at=row[8],
        sent_version=row[9],
        busy=bool(row[10]),
    )


def renew(db: sqlite3.Connection, import_id: str, token: str, lease: float) -> int:
    with Immediate(db):
        return db.execute(
            "UPDATE debtkit_import_debts SET lease_until = ?"
            " WHERE import_id = ? AND claim_token = ? AND outcome IS NULL",
            (time.time() + lease, import_id, token),
        ).rowcount


def _account(db: sqlite3.Connection, import_id: str) -> tuple[str, str] | None:
    row = db.execute(
        "SELECT provider, account FROM debtkit_imports WHERE import_id = ?", (import_id,)
    ).fetchone()
    return None if row is None else (row[0], row[1])


def mark_sending(
    db: sqlite3.Connection, import_id: str, token: str, claims: Sequence[Claim]
) -> set[int]:
    with Immediate(db):
        now = time.time()
        account = _account(db, import_id)
        if account is None:
            return set()
        # a: the version seen at the claim (NULL: unseen)
        _batch(db, [(c.position, c.sent_version) for c in claims])
        # Only debts still claimed under this token and lease (fencing) ...
        db.execute(
            f"DELETE FROM {_BATCH} WHERE position NOT IN (SELECT position FROM"
            " debtkit_import_debts WHERE import_id = ? AND claim_token = ?"
            " AND outcome IS NULL AND lease_until > ?)",
            (import_id, token, now),
        )
        # ... and only references unchanged since the claim (compare and swap on version):
        # an unseen one is inserted at version 1, which no existing row can match.
        db.execute(
            "INSERT INTO debtkit_sent (provider, account, reference, state, content_hash,"
            " import_id, position, version, sent_at, updated_at)"
            " SELECT ?, ?, d.reference, 'sending', d.content_hash, d.import_id, d.position,"
            f" coalesce(t.a, 0) + 1, ?, ? FROM {_BATCH} t JOIN debtkit_import_debts d"
            " ON d.import_id = ? AND d.position = t.position WHERE true"
            " ON CONFLICT (provider, account, reference) DO UPDATE SET state = 'sending',"
            " content_hash = excluded.content_hash, import_id = excluded.import_id,"
            " position = excluded.position, version = excluded.version,"
            " sent_at = excluded.sent_at, updated_at = excluded.updated_at"
            " WHERE debtkit_sent.version = excluded.version - 1",
            (*account, now, now, import_id),
        )
        # What this call wrote: only the claim's holder writes this import and position.
        (allowed,) = db.execute(
            f"SELECT json_group_array(t.position) FROM {_BATCH} t"
            " JOIN debtkit_import_debts d ON d.import_id = ? AND d.position = t.position"
            " JOIN debtkit_sent s ON s.provider = ? AND s.account = ?"
            "   AND s.reference = d.reference"
            " WHERE s.import_id = ? AND s.position = t.position AND s.state = 'sending'"
            "   AND s.version = coalesce(t.a, 0) + 1 AND s.sent_at = ?",
            (import_id, *account, import_id, now),
        ).fetchone()
    return set(json.loads(allowed))


def settle(
    db: sqlite3.Connection, import_id: str, token: str, settlements: Sequence[Settlement]
) -> set[int]:
    with Immediate(db):
        now = time.time()
        account = _account(db, import_id)
        if account is None:
            return set()
        rows = [
            (s.position, s.outcome, None if s.sent_state is None else s.sent_state.value,
             s.provider_id, s.error, s.error_type, problems_json(s.problems))
            for s in settlements
        ]  # fmt: skip
        _batch(db, rows)  # a outcome, b sent state, c provider id, d error, e type, f problems
        db.execute(
            f"DELETE FROM {_BATCH} WHERE position NOT IN (SELECT position FROM"
            " debtkit_import_debts WHERE import_id = ? AND claim_token = ?"
            " AND outcome IS NULL)",
            (import_id, token),
        )
        db.execute(
            f"UPDATE debtkit_import_debts SET {_FROM_BATCH}, claim_token = NULL,"
            " claimed_by = NULL, lease_until = NULL, updated_at = ?"
            f" WHERE import_id = ? AND position IN (SELECT position FROM {_BATCH})",
            (now, import_id),
        )
        # A reference once created stays created, whatever a later attempt says.
        db.execute(
            "INSERT INTO debtkit_sent (provider, account, reference, state, content_hash,"
            " provider_id, import_id, position, version, updated_at)"
            " SELECT ?, ?, d.reference, t.b, d.content_hash, t.c, d.import_id, d.position,"
            f" 1, ? FROM {_BATCH} t JOIN debtkit_import_debts d ON d.import_id = ?"
            " AND d.position = t.position WHERE t.b IS NOT NULL"
            " ON CONFLICT (provider, account, reference) DO UPDATE SET"
            " state = excluded.state, content_hash = excluded.content_hash,"
            " provider_id = coalesce(excluded.provider_id, debtkit_sent.provider_id),"
            " import_id = excluded.import_id, position = excluded.position,"
            " version = debtkit_sent.version + 1, updated_at = excluded.updated_at"
            " WHERE debtkit_sent.state <> 'created' OR excluded.state = 'created'",
            (*account, now, import_id),
        )
        (recorded,) = db.execute(f"SELECT json_group_array(position) FROM {_BATCH}").fetchone()
    return set(json.loads(recorded))


def release(db: sqlite3.Connection, import_id: str, token: str, positions: Sequence[int]) -> None:
    with Immediate(db):
        now = time.time()
        db.execute(
            "UPDATE debtkit_import_debts SET claim_token = NULL, claimed_by = NULL,"
            " lease_until = ?, updated_at = ? WHERE import_id = ? AND claim_token = ?"
            " AND outcome IS NULL AND position IN (SELECT value FROM json_each(?))",
            (now + RELEASE_PAUSE, now, import_id, token, json.dumps(list(positions))),
        )


def progress(db: sqlite3.Connection, import_id: str) -> tuple[int, int, float | None]:
    now = time.time()
    pending, live, next_expiry = db.execute(
        "SELECT count(*), coalesce(sum(lease_until > ?), 0),"
        " min(CASE WHEN lease_until > ? THEN lease_until END)"
        " FROM debtkit_import_debts WHERE import_id = ? AND outcome IS NULL",
        (now, now, import_id),
    ).fetchone()
    return pending, live, None if next_expiry is None else max(next_expiry - now, 0.0)


def counts(db: sqlite3.Connection, import_id: str) -> dict[str, int]:
    rows = db.execute(
        "SELECT coalesce(outcome, CASE WHEN claim_token IS NOT NULL AND lease_until > ?"
        " THEN 'claimed' ELSE 'pending' END) AS state, count(*)"
        " FROM debtkit_import_debts WHERE import_id = ? GROUP BY 1",
        (time.time(), import_id),
    )
    return {state: count for state, count in rows}
