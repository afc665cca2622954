"""The import journal: an embedded SQLite file recording, per debt, what debtkit knows.

A row is written *before* a request goes out (state ``sending``) and again once the outcome
is known, so after a crash or ``kill -9`` a rerun can tell apart what was created (skip it),
what was in flight (look it up at the provider before sending again) and what never left.
WAL mode with ``synchronous=NORMAL`` survives a killed process (not a power cut, which is
not worth an fsync per debt); each state change is its own committed transaction.

No ledger mistake may lead to a silent resend, so opening one is strict:

- **Marker.** A ledger carries debtkit's SQLite ``application_id`` and a ``ledger_meta`` table
  (format, schema version, created-at, ledger id). A fresh one is built under a temporary name
  and renamed into place, so a crash never leaves a half-made ledger. Hence "empty but valid"
  (marker, no debts) and "replaced by a blank file" differ: a file of 0 bytes counts as gone,
  and any other file without the marker (random bytes, another database, a torn file) is
  damaged: `LedgerDamagedError`, naming the file and what to do. A ledger written before the
  marker existed (a ``debts`` table alone) is adopted and marked.
- **Lost.** A ledger that is missing or 0 bytes although an earlier run used it raises
  `LedgerLostError` unless the caller says ``ledger_lost=True``. Evidence of an earlier run:
  the sidecar ``<ledger>.lock`` file, which every run leaves behind naming the ledger id it
  used, and any of `earlier_results` that exists (the CLI passes its results JSONL). With
  ``ledger_lost=True`` the ledger is (re)built and marked ``rebuilt_after_loss`` for good:
  from then on bulk imports look every debt the ledger has not seen up at the provider before
  sending it (also after a kill during that reconciling run).
- **One holder.** The sidecar ``<ledger>.lock`` is locked with ``fcntl.flock`` (exclusive,
  non-blocking) for the ledger's whole life; a second process gets `LedgerBusyError` naming
  the holder's pid and host. An OS advisory lock was chosen over a lock row with pid+host
  because the kernel releases it when its holder dies in any way (``kill -9`` included), so a
  dead holder never needs a liveness guess (pids are reused, hosts share network
  filesystems). flock works on Linux and macOS (local disks; on NFS Linux maps it to POSIX
  locks, macOS may not lock at all: keep ledgers on local disks). On Windows the same file is
  locked with ``msvcrt.locking``, also released by the OS when the process ends (untested
  here). The lock file is never deleted: deleting lock files races with a new holder.
  Written by hand rather than with ``filelock`` since these few lines also record the holder.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import os
import socket
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import attrs

from debtkit.conversion import to_json
from debtkit.errors import LedgerBusyError, LedgerDamagedError, LedgerError, LedgerLostError
from debtkit.model import Debt

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "Ledger",
    "LedgerEntry",
    "LedgerState",
    "content_hash",
]

APPLICATION_ID = 0x64626B6C  # "dbkl" in the SQLite header: this file is a debtkit ledger
SCHEMA_VERSION = 2
_WHAT_TO_DO = (
    "nothing was sent. Keep that file aside (rename it) for inspection, then rerun with "
    "--ledger-lost (bulk_import(..., ledger_lost=True)) to rebuild the ledger by looking "
    "every debt up at the provider before sending it"
)


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


_DEBTS = """
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
_META = "CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_COLUMNS = "provider, reference, content_hash, state, provider_id, last_error, updated_at, run_id"


def _entry(row: tuple[object, ...]) -> LedgerEntry:
    return LedgerEntry(
        str(row[0]), str(row[1]), str(row[2]), LedgerState(row[3]),
        row[4], row[5], float(row[6]), row[7],  # type: ignore[arg-type]
    )  # fmt: skip


class _HolderLock:
    """An exclusive OS lock on ``<ledger>.lock``, noting the holder and the ledger id in it."""

    def __init__(self, path: Path, ledger: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LedgerError(str(ledger), f"cannot open its lock file {path}: {exc}") from None
        try:
            _lock(self._fd)
        except OSError:
            os.close(self._fd)
            holder = self.read().get("holder", "another process")
            raise LedgerBusyError(
                str(ledger),
                f"another import is using it ({holder}); nothing was sent. Wait for it to end;"
                " a holder that died releases the lock by itself",
            ) from None
        self.previous = self.read()

    def read(self) -> dict[str, str]:
        with contextlib.suppress(OSError, ValueError), open(self.path, encoding="utf-8") as f:
            data = json.loads(f.read(4096) or "{}")
            if isinstance(data, dict):
                return {str(k): str(v) for k, v in data.items()}
        return {}

    def note(self, ledger_id: str) -> None:
        holder = f"pid {os.getpid()} on {socket.gethostname()}"
        text = json.dumps({"ledger_id": ledger_id, "holder": holder, "since": time.time()})
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, text.encode())

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)  # closing the descriptor releases the lock


if sys.platform == "win32":  # pragma: no cover - documented, not exercised here
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextlib.contextmanager
def _guarded(path: Path) -> Iterator[None]:
    """SQLite and content failures as typed ledger errors naming the file."""
    try:
        yield
    except sqlite3.OperationalError as exc:  # I/O, full disk, read-only file, locked
        raise LedgerError(str(path), f"cannot be used: {exc}") from None
    except (sqlite3.DatabaseError, ValueError) as exc:  # not a database, malformed, bad rows
        raise LedgerDamagedError(str(path), f"is damaged ({exc}); {_WHAT_TO_DO}") from None


class Ledger:
    """One SQLite file held by one process; use as a context manager. Not shared between
    threads. `earlier_results`: files whose existence proves an earlier run used this ledger."""

    def __init__(
        self,
        path: str | Path,
        *,
        ledger_lost: bool = False,
        earlier_results: Sequence[str | Path] = (),
    ) -> None:
        self.path = Path(path)
        self._lock = _HolderLock(self.path.with_name(self.path.name + ".lock"), self.path)
        try:
            with _guarded(self.path):
                self._db = self._open(ledger_lost, [Path(p) for p in earlier_results])
                meta = dict(self._db.execute("SELECT key, value FROM ledger_meta"))
            self.ledger_id = meta["ledger_id"]
            self.rebuilt_after_loss = "rebuilt_after_loss_at" in meta
            self._lock.note(self.ledger_id)
        except BaseException:
            with contextlib.suppress(AttributeError):
                self._db.close()
            self._lock.release()
            raise

    def _open(self, ledger_lost: bool, earlier_results: list[Path]) -> sqlite3.Connection:
        if not self.path.exists() or self.path.stat().st_size == 0:
            traces = [str(p) for p in earlier_results if p.exists()]
            if self._lock.previous.get("ledger_id"):
                traces.insert(0, str(self._lock.path))
            if traces and not ledger_lost:
                gone = "is empty" if self.path.exists() else "is missing"
                raise LedgerLostError(
                    str(self.path),
                    f"{gone} but an earlier import used it ({', '.join(traces)}); sending now"
                    " could create each debt that import created a second time. Nothing was"
                    " sent. Put the ledger back if you have it; otherwise rerun with"
                    " --ledger-lost (bulk_import(..., ledger_lost=True)) to look every debt up"
                    " at the provider before sending it",
                )
            self._create()
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._check_marker(db)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if ledger_lost:
                db.execute(
                    "INSERT OR IGNORE INTO ledger_meta VALUES ('rebuilt_after_loss_at', ?)",
                    (repr(time.time()),),
                )
        except BaseException:
            db.close()
            raise
        return db

    def _create(self) -> None:
        """A fresh, marked ledger, built aside and renamed into place (atomic)."""
        for stale in ("-wal", "-shm", "-journal"):  # left by the lost file: never replay them
            with contextlib.suppress(FileNotFoundError):
                self.path.with_name(self.path.name + stale).unlink()
        draft = self.path.with_name(f"{self.path.name}.new-{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            draft.unlink()
        db = sqlite3.connect(draft, isolation_level=None)
        try:
            _write_marker(db)
        finally:
            db.close()
        os.replace(draft, self.path)

    def _check_marker(self, db: sqlite3.Connection) -> None:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        if application_id == 0 and version == 0 and "debts" in tables and len(tables) == 1:
            _write_marker(db)  # a ledger from before the marker: adopt it
            return
        if application_id != APPLICATION_ID or not {"debts", "ledger_meta"} <= tables:
            raise LedgerDamagedError(
                str(self.path), f"is not a debtkit ledger (no debtkit marker); {_WHAT_TO_DO}"
            )
        if version > SCHEMA_VERSION:
            raise LedgerError(
                str(self.path),
                f"was written by a newer debtkit (schema {version}, this one reads up to"
                f" {SCHEMA_VERSION}); upgrade debtkit",
            )

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            self._lock.release()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, provider: str, reference: str) -> LedgerEntry | None:
        with _guarded(self.path):
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
        *,
        claimed: Iterable[str] = (),
    ) -> None:
        """Upsert (reference, content hash, state, provider id, last error) rows, and mark
        the `claimed` references as met by `run_id` (see `claim`), in one commit."""
        now = time.time()
        rows = [
            (provider, ref, digest, state.value, pid, err, now, run_id)
            for ref, digest, state, pid, err in entries
        ]
        claims = [(run_id, provider, ref) for ref in claimed]
        if not rows and not claims:
            return
        with _guarded(self.path), self._db:  # one transaction
            self._db.execute("BEGIN")
            self._db.executemany(
                "UPDATE debts SET run_id = ? WHERE provider = ? AND reference = ?", claims
            )
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
        with _guarded(self.path):
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
        with _guarded(self.path):
            for row in self._db.execute(query + " ORDER BY reference", params):
                yield _entry(row)

    def counts(self, provider: str) -> dict[LedgerState, int]:
        with _guarded(self.path):
            rows = self._db.execute(
                "SELECT state, COUNT(*) FROM debts WHERE provider = ? GROUP BY state", (provider,)
            )
            return {LedgerState(state): count for state, count in rows}


def _write_marker(db: sqlite3.Connection) -> None:
    with db:
        db.execute("BEGIN")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute(_DEBTS)
        db.execute(_META)
        db.executemany(
            "INSERT OR IGNORE INTO ledger_meta VALUES (?, ?)",
            [
                ("format", "debtkit-ledger"),
                ("schema_version", str(SCHEMA_VERSION)),
                ("created_at", repr(time.time())),
                ("ledger_id", uuid.uuid4().hex),
            ],
        )
