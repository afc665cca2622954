"""The shared import ledger in one SQLite file (`debtkit.bulk.journal.SharedLedger`).

The embedded default of the shared ledger: ``debtkit import FILE --ledger PATH --import ID``
and any number of ``debtkit worker --ledger PATH --import ID`` processes share one file, with
the semantics of the PostgreSQL ledger (claims with leases and fencing tokens, takeover of
expired leases, the exactly-once table per account and reference); the operations are in
`debtkit.bulk.sqlite_transactions`, the schema in `debtkit.bulk.sqlite_migrations`.

**One host.** Several processes may open the file at once: it is in WAL mode, every write is
a ``BEGIN IMMEDIATE`` transaction (so two processes never claim the same debt: the second
waits for the first's write lock, then reads its claims), and a busy timeout (`busy_timeout`
seconds, default 60) makes a process wait for the lock instead of failing. This is safe
only where SQLite's locks and WAL's shared memory (the ``-shm`` file, mapped by every
process) work, which is processes on one host with the file on a local disk. A network
filesystem (NFS, SMB) is NOT supported: its locks may be missing or lie, and two hosts do
not share the ``-shm`` mapping, so two workers could claim the same debt. Workers on several
hosts share a PostgreSQL ledger instead. A file where WAL cannot be enabled is refused.
Leases compare ``time.time()`` of the writing process: one host, one clock.

Unlike the streaming journal (`debtkit.bulk.ledger.Ledger`), there is no exclusive holder
lock: being opened by many workers is the point. Its header marker is its own, so neither
kind of file is taken for the other (`debtkit.bulk.sqlite_migrations`).

**A thread, not the event loop.** Each ledger runs its statements on one thread of its own
(with its own connection). Statements are short (a batch of 1,000 debts is a few statements,
some milliseconds), but when another process holds the write lock (loading an import,
settling a batch) the busy wait blocks whoever runs it, for up to `busy_timeout`: on the
event loop that would stall every request in flight and the lease renewals, so live claims
could expire and be taken over. Measured (benchmarks/ledger.py, one worker, in-memory
provider, so the process is CPU-bound; a 2-core machine at load average 10): a hop to the
thread costs 0.2-0.3 ms, a few per batch, and a drain runs at 0.63-1.01x (median 0.92x, five
paired runs) of the same ledger run on the loop: the loop and the thread take turns with the
GIL. Against a real provider, whose requests and rate budget set the pace, that is noise; a
frozen loop is not. (The alternative, statements on the loop with a zero busy timeout and
asynchronous retries of ``BEGIN IMMEDIATE``, would also block the loop for each statement,
up to seconds for the copy of a large import.) One thread per ledger also keeps SQLite's
one-connection-one-thread rule simply. Cancelling a call does not cancel its transaction:
it commits or rolls back whole, as on PostgreSQL.

**Lost.** A new file is only made where no earlier run left evidence of one: a missing or
empty file while any of `earlier_results` exists (the CLI passes its results file) raises
`LedgerLostError`, as the streaming journal does, since a fresh ledger would send again
every debt that run created.

**Loading** an import's entries fills a temporary table of this connection first (no lock
on the shared file, while the input is read and checked), then copies it into the file in
one short transaction: other workers wait only for that copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from debtkit.bulk import sqlite_transactions as tx
from debtkit.bulk.journal import (
    Account,
    Claim,
    ImportInfo,
    ImportProgress,
    LoadedDebt,
    Settlement,
)
from debtkit.bulk.sqlite_migrations import migrate
from debtkit.errors import ConfigurationError, LedgerDamagedError, LedgerError, LedgerLostError

__all__ = ["SQLITE_SCHEME", "SQLiteSharedLedger", "refuse_lost", "sqlite_path"]

SQLITE_SCHEME = "sqlite://"
_LOAD_CHUNK = 1000  # entries per hop to the thread while loading
_T = TypeVar("_T")


def sqlite_path(location: str | Path) -> Path:
    """The file of a path or ``sqlite:///relative/file`` / ``sqlite:////absolute/file``
    URL (SQLAlchemy's spelling: the path follows the third slash)."""
    text = str(location)
    if not text.startswith(SQLITE_SCHEME):
        return Path(text)
    rest = text[len(SQLITE_SCHEME) :]
    if not rest.startswith("/") or len(rest) < 2 or "?" in rest:
        raise ConfigurationError(
            "a SQLite ledger URL is sqlite:///relative/path or sqlite:////absolute/path"
        )
    return Path(rest[1:])


def refuse_lost(path: Path, earlier_results: Sequence[str | Path], name: str) -> None:
    """`LedgerLostError` if `path` is missing or empty although one of `earlier_results`
    exists (an earlier run wrote it: this ledger knew what that run sent)."""
    if path.is_file() and path.stat().st_size > 0:
        return
    traces = [str(p) for p in earlier_results if Path(p).exists()]
    if traces:
        gone = "is empty" if path.exists() else "is missing"
        raise LedgerLostError(
            name,
            f"{gone} but an earlier import wrote {', '.join(traces)}; a new ledger could"
            " create each debt that import created a second time. Nothing was sent. Put the"
            " ledger back; or, if those results were of no import into this provider"
            " account, move them aside",
        )


class SQLiteSharedLedger:
    """A shared ledger in one SQLite file, for workers on one host; many imports, accounts.

    Use as an async context manager: entering opens (and, unless `create` is False, creates)
    the file and migrates its schema; leaving closes it. `earlier_results`: files whose
    existence proves an earlier run used this ledger (see `refuse_lost`)."""

    def __init__(
        self,
        location: str | Path,
        *,
        create: bool = True,
        busy_timeout: float = 60.0,
        earlier_results: Sequence[str | Path] = (),
    ) -> None:
        self.path = sqlite_path(location)
        self.url = str(location)
        self.create = create
        self.earlier_results = tuple(earlier_results)
        self.busy_timeout = busy_timeout
        self.operations = 0  # transactions run, for benchmarks
        self._db: sqlite3.Connection | None = None
        self._thread: ThreadPoolExecutor | None = None

    def __repr__(self) -> str:
        return f"SQLiteSharedLedger({self.url!r})"

    @contextlib.contextmanager
    def _guarded(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:  # locked past the timeout, I/O, read-only
            raise LedgerError(self.url, f"{doing} failed: {exc}") from None
        except sqlite3.DatabaseError as exc:  # not a database, malformed
            raise LedgerDamagedError(self.url, f"is damaged ({exc}); {doing} failed") from None

    async def _run(self, doing: str, operation: Callable[..., _T], *args: Any) -> _T:
        """`operation(connection, *args)` on the ledger's thread."""
        if self._db is None or self._thread is None:
            raise LedgerError(self.url, "is not open: use it as an async context manager")
        loop = asyncio.get_running_loop()
        self.operations += 1
        with self._guarded(doing):
            return await loop.run_in_executor(self._thread, operation, self._db, *args)

    def _connect(self) -> sqlite3.Connection:
        # Opening alongside other processes can meet "database is locked" at once, without
        # SQLite's busy wait: a lock upgrade that would deadlock (two migrations reading then
        # writing a new file), or the switch to WAL. Opening is idempotent: try again with a
        # short pause, for up to `busy_timeout`.
        deadline = time.monotonic() + self.busy_timeout
        pause = 0.01
        while True:
            try:
                return self._connect_once()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def _connect_once(self) -> sqlite3.Connection:
        # check_same_thread=False: every use is on the ledger's one thread, in turn.
        db = sqlite3.connect(
            self.path, isolation_level=None, timeout=self.busy_timeout, check_same_thread=False
        )
        try:
            try:
                db.execute("SELECT count(*) FROM json_each('[]')").fetchone()
            except sqlite3.OperationalError:
                raise LedgerError(
                    self.url,
                    f"needs SQLite's JSON functions, missing from this Python's SQLite"
                    f" {sqlite3.sqlite_version} (built in from 3.38)",
                ) from None
            migrate(db, self.url)  # first: refuses another kind of file before changing it
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise LedgerError(
                    self.url,
                    f"cannot use WAL mode here (got {mode}); a shared SQLite ledger needs a"
                    " local disk on one host",
                )
            db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process (see ledger)
        except BaseException:
            db.close()
            raise
        return db

    async def __aenter__(self) -> SQLiteSharedLedger:
        if not self.create and not self.path.is_file():
            raise LedgerError(self.url, "does not exist: start an import into it first")
        refuse_lost(self.path, self.earlier_results, self.url)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="debtkit-sqlite-ledger")
        try:
            with self._guarded("opening"):
                loop = asyncio.get_running_loop()
                self._db = await loop.run_in_executor(self._thread, self._connect)
        except BaseException:
            self._thread.shutdown(wait=False)
            self._thread = None
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        db, thread = self._db, self._thread
        self._db = self._thread = None
        if thread is None:
            return
        try:
            if db is not None:  # after whatever the thread is still running
                with contextlib.suppress(sqlite3.Error):
                    await asyncio.get_running_loop().run_in_executor(thread, db.close)
        finally:
            thread.shutdown(wait=False)

    def _check_account(self, info: ImportInfo, account: Account) -> None:
        if info.account != account:
            raise ConfigurationError(
                f"import {info.import_id!r} in {self.url} belongs to another provider account"
                f" ({info.account.provider} {info.account.key}); use another import id"
            )

    async def start_import(
        self, import_id: str, account: Account, entries: AsyncIterable[LoadedDebt]
    ) -> ImportInfo:
        resumed = await self._run("resuming an import", tx.resume_import, import_id)
        if resumed is not None:
            self._check_account(resumed, account)
            return resumed
        await self._run("loading an import", tx.start_loading)
        chunk: list[LoadedDebt] = []
        async for entry in entries:
            chunk.append(entry)
            if len(chunk) >= _LOAD_CHUNK:
                await self._run("loading an import", tx.load_into_temp, chunk)
                chunk = []
        if chunk:
            await self._run("loading an import", tx.load_into_temp, chunk)
        info, created = await self._run("starting an import", tx.create_import, import_id, account)
        if not created:  # another process started it meanwhile
            self._check_account(info, account)
        return info

    async def import_info(self, import_id: str) -> ImportInfo:
        info = await self._run("reading an import", tx.import_info, import_id)
        if info is None:
            raise LedgerError(self.url, f"has no import {import_id!r}: start it with import")
        return info

    async def claim(
        self, import_id: str, worker: str, limit: int, lease: float
    ) -> tuple[str, list[Claim]]:
        return await self._run("claiming", tx.claim, import_id, worker, limit, lease)

    async def renew(self, import_id: str, token: str, lease: float) -> int:
        return await self._run("renewing a lease", tx.renew, import_id, token, lease)

    async def mark_sending(self, import_id: str, token: str, claims: Sequence[Claim]) -> set[int]:
        if not claims:
            return set()
        return await self._run(
            "marking debts sending", tx.mark_sending, import_id, token, list(claims)
        )

    async def settle(
        self, import_id: str, token: str, settlements: Sequence[Settlement]
    ) -> set[int]:
        if not settlements:
            return set()
        return await self._run("recording outcomes", tx.settle, import_id, token, list(settlements))

    async def release(self, import_id: str, token: str, positions: Sequence[int]) -> None:
        if positions:
            await self._run("releasing claims", tx.release, import_id, token, list(positions))

    async def progress(self, import_id: str) -> ImportProgress:
        pending, live, expiry = await self._run("reading progress", tx.progress, import_id)
        return ImportProgress(pending, live, expiry)

    async def counts(self, import_id: str) -> dict[str, int]:
        await self.import_info(import_id)  # an unknown import is an error, not zero counts
        return await self._run("counting", tx.counts, import_id)
