"""A ledger statement PostgreSQL picks as a deadlock's victim runs again instead of failing
the worker (a worker's lease renewal and the settling of the same claim lock the same rows in
no agreed order)."""

from __future__ import annotations

import asyncio

import asyncpg

from debtkit.bulk import Account
from debtkit.bulk.postgres_ledger import PostgresLedger
from tests.core.test_shared_ledgers import entries

ACCOUNT = Account("getbill", "https://api.example/v1#fingerprint-a")
LOCK = "SELECT 1 FROM debtkit_import_debts WHERE import_id = 'i' AND position = $1 FOR UPDATE"
WAITING = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def until_one_waits_for_a_lock(connection: asyncpg.Connection) -> None:
    for _ in range(1200):  # polls of 50 ms: a bound for a hang on a loaded machine
        if await connection.fetchval(WAITING):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the renewal never waited for the locked row")


async def test_a_renewal_chosen_as_a_deadlock_victim_runs_again_and_extends_the_lease(
    postgres_database: str,
) -> None:
    async with PostgresLedger(postgres_database) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(2))
        token, _ = await ledger.claim("i", "worker", 2, 60)
        other = await asyncpg.connect(postgres_database)
        watcher = await asyncpg.connect(postgres_database)
        try:
            transaction = other.transaction()
            await transaction.start()
            await other.execute(LOCK, 1)  # the second row, before the renewal takes the first
            before = ledger.operations
            renewal = asyncio.ensure_future(ledger.renew("i", token, 120))
            await until_one_waits_for_a_lock(watcher)
            # The renewal holds the first row and waits for the second; taking the first
            # closes the cycle. PostgreSQL rolls back the one that waited first: the renewal.
            await other.execute(LOCK, 0)
            await transaction.rollback()
            renewed = await asyncio.wait_for(renewal, 120)
        finally:
            await other.close()
            await watcher.close()
    assert renewed == 2
    assert ledger.operations - before == 2  # the statement ran again once
