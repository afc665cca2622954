"""Starting an import in a shared ledger, and opening one from a URL.

`start_import` reads the input once, checks each debt as `bulk_import` does (invalid ones
are final at once, with their problems), and stores the rest as canonical JSON under the
import id, atomically; then any number of workers can `drain` it. Starting an import id
that exists resumes it instead (the input is not read again).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable

from debtkit.bulk.importer import Outcome, _entries
from debtkit.bulk.journal import Account, ImportInfo, LoadedDebt, SharedLedger
from debtkit.conversion import to_json
from debtkit.errors import ConfigurationError, ValidationError
from debtkit.files import Row
from debtkit.model import Debt
from debtkit.plugin import ProviderClient
from debtkit.urls import redact_url

__all__ = ["SHARED_SCHEMES", "new_import_id", "open_ledger", "start_import"]

SHARED_SCHEMES = ("postgresql://", "postgres://")


def new_import_id() -> str:
    return uuid.uuid4().hex[:16]


def open_ledger(url: str, **options: object) -> SharedLedger:
    """A shared ledger; enter it with ``async with``. `url`: ``postgresql://user:pw@host/db``
    (`PostgresLedger`: options pool_size, connect_timeout), or the path of an SQLite file
    (`SqliteSharedLedger`, for workers on one host: option busy_timeout)."""
    if url.startswith(SHARED_SCHEMES):
        from debtkit.bulk.postgres_ledger import PostgresLedger

        return PostgresLedger(url, **options)  # type: ignore[arg-type]
    if "://" in url:
        raise ConfigurationError(
            f"a shared ledger is a postgresql:// URL or a file path, got {redact_url(url)}"
        )
    from debtkit.bulk.sqlite_shared import SqliteSharedLedger

    return SqliteSharedLedger(url, **options)  # type: ignore[arg-type]


async def _loaded(
    client: ProviderClient, debts: Iterable[Debt | Row] | AsyncIterable[Debt | Row]
) -> AsyncIterator[LoadedDebt]:
    position = -1
    async for entry in _entries(debts):
        position += 1
        line = entry.line if isinstance(entry, Row) else None
        debt = entry.debt if isinstance(entry, Row) else entry
        if debt is None:
            problems = entry.problems if isinstance(entry, Row) else ()
            yield LoadedDebt(position, line, None, None, None, Outcome.INVALID.value, problems)
            continue
        reference = debt.creditor_reference
        checked = client.check(debt)
        if checked.problems:
            invalid = Outcome.INVALID.value
            yield LoadedDebt(position, line, reference, None, None, invalid, checked.problems)
            continue
        try:
            text = to_json(checked.debt)
        except ValidationError as exc:
            yield LoadedDebt(
                position, line, reference, None, None, Outcome.INVALID.value, exc.problems
            )
            continue
        # the ledger's content hash, from the text already made
        yield LoadedDebt(position, line, reference, text, hashlib.sha256(text.encode()).hexdigest())


async def start_import(
    client: ProviderClient,
    ledger: SharedLedger,
    debts: Iterable[Debt | Row] | AsyncIterable[Debt | Row],
    *,
    account: Account,
    import_id: str | None = None,
) -> ImportInfo:
    """Store `debts` under `import_id` (a new random one if None), or resume that import.
    `account.provider` must be the client's."""
    if account.provider != client.provider:
        raise ConfigurationError(
            f"account is {account.provider}'s but the client is {client.provider}'s"
        )
    return await ledger.start_import(import_id or new_import_id(), account, _loaded(client, debts))
