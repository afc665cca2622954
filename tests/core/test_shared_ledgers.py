"""What is the PostgreSQL shared ledger's own (a real server): migrations, connections,
passwords; and opening shared ledgers by URL. The contract both backends keep (claims,
leases, fencing, accounts, resume, counts) is test_shared_ledger_contract.py."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from debtkit.bulk import Account, LoadedDebt, SentState, Settlement, open_ledger
from debtkit.bulk.pg_migrations import LATEST_VERSION
from debtkit.bulk.postgres_ledger import PostgresLedger
from debtkit.errors import ConfigurationError, LedgerError
from tests import postgres_server

ACCOUNT = Account("getbill", "https://api.example/v1#fingerprint-a")
OTHER_ACCOUNT = Account("getbill", "https://api.example/v1#fingerprint-b")


async def entries(count: int, prefix: str = "REF") -> AsyncIterator[LoadedDebt]:
    for position in range(count):
        reference = f"{prefix}-{position}"
        yield LoadedDebt(position, position + 1, reference, '{"x":1}', f"hash-{reference}")


async def test_migrations_run_once_when_many_ledgers_open_at_once(postgres_database: str) -> None:
    ledgers = [PostgresLedger(postgres_database, pool_size=1) for _ in range(6)]
    await asyncio.gather(*(ledger.__aenter__() for ledger in ledgers))
    for ledger in ledgers:
        await ledger.__aexit__(None, None, None)
    async with PostgresLedger(postgres_database):  # and once more, on a migrated database
        pass
    connection = await asyncpg.connect(postgres_database)
    try:
        versions = await connection.fetch("SELECT version FROM debtkit_schema ORDER BY version")
    finally:
        await connection.close()
    assert [row["version"] for row in versions] == list(range(1, LATEST_VERSION + 1))


async def test_a_refused_connection_is_a_ledger_error_without_the_password() -> None:
    url = f"postgresql://debtkit:{postgres_server.PASSWORD}@127.0.0.1:1/db"
    with pytest.raises(LedgerError) as raised:
        async with open_ledger(url):
            pass
    assert postgres_server.PASSWORD not in str(raised.value)
    assert "***" in str(raised.value)


async def test_a_missing_database_is_a_ledger_error_without_the_password(
    postgres_url: str,
) -> None:
    url = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(LedgerError, match="no_such_database") as raised:
        async with open_ledger(url):
            pass
    assert postgres_server.PASSWORD not in str(raised.value)


async def test_the_password_appears_in_no_repr_and_no_log_line(
    postgres_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ledger = open_ledger(postgres_database)
    async with ledger:
        await ledger.start_import("i", ACCOUNT, entries(3))
        token, _ = await ledger.claim("i", "w", 3, 60)
        await ledger.settle("i", token, [Settlement(0, "created", SentState.CREATED)])
    assert postgres_server.PASSWORD not in repr(ledger)
    assert postgres_server.PASSWORD not in ledger.url
    assert postgres_server.PASSWORD not in caplog.text


def test_a_url_of_another_database_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigurationError, match="postgresql://") as raised:
        open_ledger("mysql://user:hunter2@db/app")
    assert "hunter2" not in str(raised.value)


async def test_sqlite_ledgers_opened_at_once_on_one_new_file_all_work(tmp_path: Path) -> None:
    path = str(tmp_path / "new.sqlite")
    ledgers = [open_ledger(path) for _ in range(5)]
    await asyncio.gather(*(ledger.__aenter__() for ledger in ledgers))
    try:
        await ledgers[0].start_import("i", ACCOUNT, entries(3))
        assert await ledgers[4].counts("i") == {"pending": 3}
    finally:
        for ledger in ledgers:
            await ledger.__aexit__(None, None, None)
