"""Bulk import, by capability: the importer, its journals, and draining shared imports.

- `debtkit.bulk.importer`: `bulk_import`, its results and outcomes (one process, SQLite).
- `debtkit.bulk.ledger`: the SQLite import journal that makes reruns exactly-once.
- `debtkit.bulk.journal`: `SharedLedger`, the interface of a ledger many workers share,
  and its records (`Account`, `Claim`, `Settlement`...); `account_key`.
- `debtkit.bulk.postgres_ledger`: `PostgresLedger`, the PostgreSQL `SharedLedger`
  (``debtkit[postgres]``; schema in `pg_migrations`, statements in `pg_sql`).
- `debtkit.bulk.sqlite_shared`: `SQLiteSharedLedger`, the SQLite-file `SharedLedger` for
  workers on one host (schema in `sqlite_migrations`, operations in `sqlite_transactions`).
- `debtkit.bulk.shared`: `open_ledger(url_or_path)`, `start_import(...)`.
- `debtkit.bulk.drain`: `drain(...)`, what a worker runs.
- `debtkit.bulk.settle`: lost batches settled in the background, one listing for all waiting.

Shared imports, in short::

    account = Account(client.provider, account_key(client.provider, base_url, credentials))
    async with open_ledger("postgresql://user:pw@host/db") as ledger:  # or a file path
        info = await start_import(client, ledger, rows, account=account, import_id="may")
        async for result in drain(client, ledger, info.import_id, account=account):
            ...  # one BulkResult per debt this worker settled; returns when all are final

Any number of processes may run `drain` on the same import id (``debtkit worker``);
``debtkit status`` shows `SharedLedger.counts`. `open_ledger` takes a ``postgresql://`` URL
(workers on any hosts), or a SQLite file's path or ``sqlite:///`` URL (workers on one host).
Signatures::

    open_ledger(url: str, **options) -> SharedLedger
    start_import(client, ledger, debts, *, account: Account, import_id: str | None = None)
        -> ImportInfo
    drain(client, ledger, import_id, *, account=None, batch_size=1000, concurrency=4,
          lease=60.0, poll=1.0, worker=None) -> AsyncIterator[BulkResult]
    account_key(provider, base_url, credentials) -> str
"""

from debtkit.bulk.drain import drain, worker_name
from debtkit.bulk.importer import (
    BatchCreator,
    BulkFinder,
    BulkResult,
    CheckedDebtCreator,
    Outcome,
    Progress,
    ReferenceCheckingCreator,
    bulk_import,
)
from debtkit.bulk.journal import (
    Account,
    Claim,
    ImportInfo,
    ImportProgress,
    LoadedDebt,
    SentState,
    Settlement,
    SharedLedger,
    account_key,
)
from debtkit.bulk.ledger import Ledger, LedgerEntry, LedgerState, content_hash
from debtkit.bulk.shared import new_import_id, open_ledger, start_import

__all__ = [
    "Account",
    "BatchCreator",
    "BulkFinder",
    "BulkResult",
    "CheckedDebtCreator",
    "Claim",
    "ImportInfo",
    "ImportProgress",
    "Ledger",
    "LedgerEntry",
    "LedgerState",
    "LoadedDebt",
    "Outcome",
    "Progress",
    "ReferenceCheckingCreator",
    "SentState",
    "Settlement",
    "SharedLedger",
    "account_key",
    "bulk_import",
    "content_hash",
    "drain",
    "new_import_id",
    "open_ledger",
    "start_import",
    "worker_name",
]
