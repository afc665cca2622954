"""The shared ledgers (PostgreSQL on a real server, and SQLite): schema, claims, leases,
fencing, accounts; then what is PostgreSQL's or SQLite's own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from debtkit.bulk import Account, LoadedDebt, SentState, Settlement, SharedLedger, open_ledger
from debtkit.bulk.ledger import Ledger
from debtkit.bulk.pg_migrations import LATEST_VERSION
from debtkit.bulk.postgres_ledger import PostgresLedger
from debtkit.errors import ConfigurationError, LedgerDamagedError, LedgerError
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


async def test_two_workers_claiming_at_once_get_disjoint_debts(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as first, open_ledger(shared_ledger_url) as second:
        await first.start_import("i", ACCOUNT, entries(200))

        async def claim_all(ledger: SharedLedger, name: str) -> list[int]:
            got: list[int] = []
            while True:
                _, claims = await ledger.claim("i", name, 7, 60)
                if not claims:
                    return got
                got += [claim.position for claim in claims]

        a, b = await asyncio.gather(claim_all(first, "a"), claim_all(second, "b"))
    assert not set(a) & set(b)
    assert sorted(a + b) == list(range(200))


async def test_an_expired_claim_is_claimed_again_and_a_live_one_is_not(
    shared_ledger_url: str,
) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(3))
        _, dead = await ledger.claim("i", "dead", 3, 0.2)
        _, none_yet = await ledger.claim("i", "live", 3, 60)
        await asyncio.sleep(0.5)
        _, taken = await ledger.claim("i", "live", 3, 60)
    assert len(dead) == 3
    assert none_yet == []
    assert [claim.position for claim in taken] == [0, 1, 2]


async def test_a_stale_worker_cannot_overwrite_the_outcome_of_the_one_that_took_over(
    shared_ledger_url: str,
) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(2))
        stale_token, stale = await ledger.claim("i", "stale", 2, 0.2)
        await asyncio.sleep(0.5)
        token, claims = await ledger.claim("i", "new", 2, 60)
        assert await ledger.mark_sending("i", token, claims) == {0, 1}
        assert await ledger.mark_sending("i", stale_token, stale) == set()
        created = [Settlement(c.position, "created", SentState.CREATED, "p") for c in claims]
        assert await ledger.settle("i", token, created) == {0, 1}
        rejected = [Settlement(c.position, "rejected", SentState.REJECTED) for c in stale]
        assert await ledger.settle("i", stale_token, rejected) == set()
        assert await ledger.counts("i") == {"created": 2}
        # the account still knows both references as created, not rejected
        await ledger.start_import("again", ACCOUNT, entries(2))
        _, again = await ledger.claim("again", "w", 2, 60)
    assert {claim.sent_state for claim in again} == {SentState.CREATED}


async def test_a_reference_marked_sending_by_another_worker_since_the_claim_is_not_sent(
    shared_ledger_url: str,
) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("one", ACCOUNT, entries(1))
        await ledger.start_import("two", ACCOUNT, entries(1))
        token_one, one = await ledger.claim("one", "a", 1, 60)
        token_two, two = await ledger.claim("two", "b", 1, 60)
        assert await ledger.mark_sending("one", token_one, one) == {0}
        assert await ledger.mark_sending("two", token_two, two) == set()
        await ledger.release("two", token_two, [0])
        await asyncio.sleep(1.2)  # a released debt waits a moment before it is claimable
        _, retried = await ledger.claim("two", "b", 1, 60)
    assert retried[0].sent_state is SentState.SENDING
    assert retried[0].busy  # the claim of import "one" that is sending it is still live


async def test_the_same_reference_under_two_accounts_is_two_independent_debts(
    shared_ledger_url: str,
) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("a", ACCOUNT, entries(2))
        token, claims = await ledger.claim("a", "w", 2, 60)
        await ledger.mark_sending("a", token, claims)
        settled = [Settlement(c.position, "created", SentState.CREATED, "p") for c in claims]
        await ledger.settle("a", token, settled)
        await ledger.start_import("b", OTHER_ACCOUNT, entries(2))
        other_token, other = await ledger.claim("b", "w", 2, 60)
        allowed = await ledger.mark_sending("b", other_token, other)
    assert [claim.sent_state for claim in other] == [None, None]
    assert allowed == {0, 1}


async def test_status_counts_pending_claimed_and_final_debts(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(5))
        token, _ = await ledger.claim("i", "w", 3, 60)
        await ledger.settle("i", token, [Settlement(0, "rejected", SentState.REJECTED)])
        counts = await ledger.counts("i")
    assert counts == {"rejected": 1, "claimed": 2, "pending": 2}


async def test_resuming_an_import_sends_again_what_did_not_end_created(
    shared_ledger_url: str,
) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(2))
        token, _ = await ledger.claim("i", "w", 2, 60)
        await ledger.settle(
            "i",
            token,
            [
                Settlement(0, "created", SentState.CREATED, "p"),
                Settlement(1, "ambiguous", SentState.AMBIGUOUS),
            ],
        )
        info = await ledger.start_import("i", ACCOUNT, entries(0))
        counts = await ledger.counts("i")
    assert info.total == 2
    assert counts == {"created": 1, "pending": 1}


async def test_resuming_an_import_with_another_account_is_refused(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(1))
        with pytest.raises(ConfigurationError, match="another provider account"):
            await ledger.start_import("i", OTHER_ACCOUNT, entries(1))


async def test_an_unknown_import_is_a_ledger_error(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        with pytest.raises(LedgerError, match="no import 'nope'"):
            await ledger.counts("nope")


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


async def test_a_bulk_import_journal_is_not_taken_for_a_shared_ledger(tmp_path: Path) -> None:
    with Ledger(tmp_path / "journal.sqlite"):
        pass
    with pytest.raises(LedgerDamagedError, match="not a shared debtkit ledger"):
        async with open_ledger(str(tmp_path / "journal.sqlite")):
            pass


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
