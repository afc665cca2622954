"""The `SharedLedger` contract, run against each backend: a SQLite file and a real PostgreSQL.

Whatever the backend, workers sharing a ledger claim disjoint debts, take over expired
leases, are fenced by their claim's token, and the account's exactly-once table spans
imports. Backend-specific behaviour (connections, files, processes) is tested beside each
backend (test_shared_ledgers.py, test_sqlite_shared_ledger.py). The backends come from the
`shared_ledger_url` fixture (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import pytest

from debtkit.bulk import (
    Account,
    LoadedDebt,
    Outcome,
    SentState,
    Settlement,
    SharedLedger,
    drain,
    open_ledger,
    start_import,
)
from debtkit.errors import ConfigurationError, LedgerError
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeBatchProvider

ACCOUNT = Account("getbill", "https://api.example/v1#fingerprint-a")
OTHER_ACCOUNT = Account("getbill", "https://api.example/v1#fingerprint-b")


async def entries(count: int, prefix: str = "REF") -> AsyncIterator[LoadedDebt]:
    for position in range(count):
        reference = f"{prefix}-{position}"
        yield LoadedDebt(position, position + 1, reference, '{"x":1}', f"hash-{reference}")


async def schema_versions(location: str) -> list[int]:
    query = "SELECT version FROM debtkit_schema ORDER BY version"
    if location.startswith("postgresql://"):
        import asyncpg

        connection = await asyncpg.connect(location)
        try:
            return [row["version"] for row in await connection.fetch(query)]
        finally:
            await connection.close()
    with sqlite3.connect(location) as db:
        return [version for (version,) in db.execute(query)]


async def claim_all(ledger: SharedLedger, import_id: str, name: str) -> list[int]:
    got: list[int] = []
    while True:
        _, claims = await ledger.claim(import_id, name, 7, 60)
        if not claims:
            return got
        got += [claim.position for claim in claims]


async def test_migrations_apply_once_when_many_ledgers_open_at_once_and_again(
    shared_ledger_url: str,
) -> None:
    ledgers = [open_ledger(shared_ledger_url) for _ in range(5)]
    await asyncio.gather(*(ledger.__aenter__() for ledger in ledgers))
    for ledger in ledgers:
        await ledger.__aexit__(None, None, None)
    once = await schema_versions(shared_ledger_url)
    async with open_ledger(shared_ledger_url):  # and once more, on a migrated ledger
        pass
    assert once == await schema_versions(shared_ledger_url)
    assert once == list(range(1, len(once) + 1))
    assert once


async def test_two_workers_claiming_at_once_get_disjoint_debts(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as first, open_ledger(shared_ledger_url) as second:
        await first.start_import("i", ACCOUNT, entries(200))
        a, b = await asyncio.gather(claim_all(first, "i", "a"), claim_all(second, "i", "b"))
    assert not set(a) & set(b)
    assert sorted(a + b) == list(range(200))


async def test_an_expired_lease_is_taken_over_and_a_live_one_is_not(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(3))
        _, dead = await ledger.claim("i", "dead", 3, 0.2)
        _, none_yet = await ledger.claim("i", "live", 3, 60)
        await asyncio.sleep(0.5)
        _, taken = await ledger.claim("i", "live", 3, 60)
    assert len(dead) == 3
    assert none_yet == []
    assert [claim.position for claim in taken] == [0, 1, 2]


async def test_a_renewed_lease_is_not_taken_over(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(2))
        token, _ = await ledger.claim("i", "w", 2, 0.3)
        held = await ledger.renew("i", token, 60)
        await asyncio.sleep(0.5)
        _, taken = await ledger.claim("i", "other", 2, 60)
    assert held == 2
    assert taken == []


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
        assert await ledger.renew("i", stale_token, 60) == 0
        created = [Settlement(c.position, "created", SentState.CREATED, "p") for c in claims]
        assert await ledger.settle("i", token, created) == {0, 1}
        rejected = [Settlement(c.position, "rejected", SentState.REJECTED) for c in stale]
        assert await ledger.settle("i", stale_token, rejected) == set()
        assert await ledger.counts("i") == {"created": 2}
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
        _, at_once = await ledger.claim("two", "b", 1, 60)
        await asyncio.sleep(1.2)  # a released debt waits a moment before it is claimable
        _, retried = await ledger.claim("two", "b", 1, 60)
    assert at_once == []
    assert retried[0].sent_state is SentState.SENDING
    assert retried[0].busy  # the claim of import "one" that is sending it is still live


async def test_a_reference_created_under_another_import_of_the_account_is_already_created(
    shared_ledger_url: str,
) -> None:
    debts = list(sample_debts(8, seed=11, broken=0.0, prefix="ONCE"))
    client = FakeBatchProvider()
    account = Account(client.provider, "fake#a")
    async with open_ledger(shared_ledger_url) as ledger:
        await start_import(client, ledger, debts, account=account, import_id="first")
        first = [r async for r in drain(client, ledger, "first", poll=0.05)]
        await start_import(client, ledger, debts, account=account, import_id="second")
        second = [r async for r in drain(client, ledger, "second", poll=0.05)]
        counts = await ledger.counts("second")
    assert {r.outcome for r in first} == {Outcome.CREATED}
    assert {r.outcome for r in second} == {Outcome.ALREADY_CREATED}
    assert counts == {"already_created": 8}
    assert len(client.create_calls) == 8


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


async def test_a_reference_repeated_in_the_input_is_sent_once(shared_ledger_url: str) -> None:
    async def repeated() -> AsyncIterator[LoadedDebt]:
        yield LoadedDebt(0, 1, "R", "{}", "same")
        yield LoadedDebt(1, 2, "R", "{}", "same")
        yield LoadedDebt(2, 3, "R", "{}", "other")

    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, repeated())
        _, claims = await ledger.claim("i", "w", 10, 60)
        counts = await ledger.counts("i")
    assert [claim.position for claim in claims] == [0]
    assert counts == {"claimed": 1, "duplicate": 1, "changed": 1}


async def test_counts_show_pending_claimed_and_final_debts(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(5))
        token, _ = await ledger.claim("i", "w", 3, 60)
        await ledger.settle("i", token, [Settlement(0, "rejected", SentState.REJECTED)])
        counts = await ledger.counts("i")
        progress = await ledger.progress("i")
    assert counts == {"rejected": 1, "claimed": 2, "pending": 2}
    assert (progress.pending, progress.claimed_live) == (4, 2)
    assert progress.seconds_to_next_expiry is not None
    assert 0 < progress.seconds_to_next_expiry <= 60


async def test_resuming_an_import_sends_again_what_did_not_end_created_without_reading_input(
    shared_ledger_url: str,
) -> None:
    async def unread() -> AsyncIterator[LoadedDebt]:
        raise AssertionError("a resumed import read its input again")
        yield  # pragma: no cover

    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(3))
        token, _ = await ledger.claim("i", "w", 3, 60)
        await ledger.settle(
            "i",
            token,
            [
                Settlement(0, "created", SentState.CREATED, "p"),
                Settlement(1, "ambiguous", SentState.AMBIGUOUS),
                Settlement(2, "rejected", SentState.REJECTED),
            ],
        )
        info = await ledger.start_import("i", ACCOUNT, unread())
        counts = await ledger.counts("i")
    assert info.total == 3
    assert counts == {"created": 1, "pending": 2}


async def test_resuming_an_import_with_another_account_is_refused(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(1))
        with pytest.raises(ConfigurationError, match="another provider account"):
            await ledger.start_import("i", OTHER_ACCOUNT, entries(1))


async def test_an_unknown_import_is_a_ledger_error(shared_ledger_url: str) -> None:
    async with open_ledger(shared_ledger_url) as ledger:
        with pytest.raises(LedgerError, match="no import 'nope'"):
            await ledger.counts("nope")
