"""The ledger's cost per debt: the SQLite journal (`bulk_import`), and the shared ledgers,
SQLite and PostgreSQL (`start_import` + `drain`).

Same work for both: N valid sample debts into an in-memory batch provider (no HTTP, so what
is left is the pipeline and the ledger), batches of 1,000. Counted per debt:

- ledger operations: calls into the ledger that reach the database (SQLite journal: `Ledger`
  method calls; shared SQLite: transactions; PostgreSQL: round trips to the server,
  BEGIN/COMMIT included);
- transactions (commits): the journal's from SQLite's trace of statements; the shared
  ledgers' operations are each their own transaction except the import's load (one);
- debts per second, wall clock, one process (PostgreSQL on loopback).

PostgreSQL runs on a throwaway cluster (`tests/postgres_server.py`) when the server binaries
are installed, or on ``DEBTKIT_BENCH_POSTGRES`` (a URL to an empty database) if set;
otherwise its figures are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from benchmarks.report import Figure
from debtkit.bulk import Account, bulk_import, drain, open_ledger, start_import
from debtkit.bulk.ledger import Ledger
from debtkit.bulk.postgres_ledger import PostgresLedger
from debtkit.bulk.sqlite_shared import SqliteSharedLedger
from debtkit.model import Debt
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeBatchProvider

BATCH = 1000


def _debts(count: int) -> list[Debt]:
    pool = list(sample_debts(500, seed=29, broken=0.0))
    return [
        attrs.evolve(debt, creditor_reference=f"LEDGER-{index:08d}")
        for index, debt in zip(range(count), itertools.cycle(pool), strict=False)
    ]


class _CountingLedger(Ledger):
    """Counts method calls that reach SQLite, and commits from SQLite's statement trace."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.operations = 0
        self.commits = 0
        self._in_transaction = False
        self._db.set_trace_callback(self._trace)

    def _trace(self, statement: str) -> None:
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if verb == "BEGIN":
            self._in_transaction = True
        elif verb in ("COMMIT", "ROLLBACK"):
            self._in_transaction = False
            self.commits += 1
        elif verb in ("INSERT", "UPDATE", "DELETE") and not self._in_transaction:
            self.commits += 1

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self.operations += 1
        return super().get(*args, **kwargs)

    def record(self, *args: Any, **kwargs: Any) -> Any:
        self.operations += 1
        return super().record(*args, **kwargs)

    def claim(self, *args: Any, **kwargs: Any) -> Any:
        self.operations += 1
        return super().claim(*args, **kwargs)


async def _sqlite(debts: list[Debt]) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory(prefix="debtkit-bench-") as folder:
        ledger = _CountingLedger(Path(folder) / "ledger.sqlite")
        with ledger:
            client = FakeBatchProvider()
            started = time.perf_counter()
            async for _ in bulk_import(client, debts, ledger=ledger, batch_size=BATCH):
                pass
            seconds = time.perf_counter() - started
        return ledger.operations / len(debts), ledger.commits / len(debts), seconds


async def _shared(url: str, debts: list[Debt]) -> tuple[float, float, float]:
    """`start_import` + `drain` on a shared ledger (PostgreSQL URL or SQLite file)."""
    async with open_ledger(url) as ledger:
        assert isinstance(ledger, (PostgresLedger, SqliteSharedLedger))
        client = FakeBatchProvider()
        account = Account(client.provider, f"bench#{uuid.uuid4().hex}")
        import_id = uuid.uuid4().hex
        started = time.perf_counter()
        await start_import(client, ledger, debts, account=account, import_id=import_id)
        load_operations = ledger.operations
        async for _ in drain(client, ledger, import_id, batch_size=BATCH, poll=0.05):
            pass
        seconds = time.perf_counter() - started
        # one load transaction; every other operation is its own transaction
        transactions = 1 + ledger.operations - load_operations
        return ledger.operations / len(debts), transactions / len(debts), seconds


@contextlib.contextmanager
def _postgres_url() -> Iterator[str | None]:
    given = os.environ.get("DEBTKIT_BENCH_POSTGRES")
    if given:
        yield given
        return
    try:
        from tests import postgres_server
    except ImportError:
        yield None
        return
    if not postgres_server.binaries_available():
        yield None
        return
    with postgres_server.running_cluster() as url:
        yield url


def run(quick: bool = False) -> list[Figure]:
    debts = _debts(2_000 if quick else 20_000)
    count = len(debts)
    sqlite_ops, sqlite_commits, sqlite_seconds = asyncio.run(_sqlite(debts))
    with tempfile.TemporaryDirectory(prefix="debtkit-bench-") as folder:
        shared = asyncio.run(_shared(str(Path(folder) / "shared.sqlite"), debts))
    figures = [
        Figure("ledger", "SQLite ledger operations per debt", sqlite_ops, 0, "ops", "(reported)",
               True, note=f"{sqlite_commits:.4f} commits per debt; {count} debts, batches of"
               f" {BATCH}"),
        Figure("ledger", "SQLite bulk_import debts/s", count / sqlite_seconds, 0, "debts/s",
               "(reported)", True, note="in-memory batch provider: pipeline + ledger only"),
        Figure("ledger", "SQLite shared ledger operations per debt", shared[0], sqlite_ops, "ops",
               "(reported)", True, note=f"{shared[1]:.4f} transactions per debt; baseline ="
               " SQLite bulk_import journal"),
        Figure("ledger", "SQLite shared start_import + drain debts/s", count / shared[2],
               count / sqlite_seconds, "debts/s", "(reported)", True,
               note="one worker; baseline = SQLite bulk_import"),
    ]  # fmt: skip
    with _postgres_url() as url:
        if url is None:
            print("(skipping the PostgreSQL figures: no server, no DEBTKIT_BENCH_POSTGRES)")
            return figures
        pg_ops, pg_transactions, pg_seconds = asyncio.run(_shared(url, debts))
    return [
        *figures,
        Figure("ledger", "PostgreSQL ledger operations per debt", pg_ops, sqlite_ops, "ops",
               "(reported)", True, note=f"{pg_transactions:.4f} transactions per debt;"
               " baseline = SQLite; round trips on loopback"),
        Figure("ledger", "PostgreSQL start_import + drain debts/s", count / pg_seconds,
               count / sqlite_seconds, "debts/s", "(reported)", True,
               note="one worker; baseline = SQLite bulk_import"),
    ]  # fmt: skip


if __name__ == "__main__":
    from benchmarks.report import table

    print(table(run()))
