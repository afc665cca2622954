"""The shared ledger in a SQLite file: what is SQLite's own (the contract is in
test_shared_ledger_contract.py): opening, markers, processes on one host, the event loop."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from debtkit.bulk import Account, Ledger, LoadedDebt, open_ledger
from debtkit.bulk.sqlite_migrations import LATEST_VERSION, is_shared_ledger_file
from debtkit.bulk.sqlite_shared import SQLiteSharedLedger, sqlite_path
from debtkit.errors import ConfigurationError, LedgerDamagedError, LedgerError, LedgerLostError

ACCOUNT = Account("getbill", "https://api.example/v1#fingerprint-a")


async def entries(count: int, prefix: str = "REF") -> AsyncIterator[LoadedDebt]:
    for position in range(count):
        reference = f"{prefix}-{position}"
        yield LoadedDebt(position, position + 1, reference, '{"x":1}', f"hash-{reference}")


def test_a_path_and_a_sqlite_url_open_a_sqlite_shared_ledger(tmp_path: Path) -> None:
    assert isinstance(open_ledger(tmp_path / "a.sqlite"), SQLiteSharedLedger)
    assert isinstance(open_ledger(f"sqlite:///{tmp_path}/a.sqlite"), SQLiteSharedLedger)
    assert sqlite_path("sqlite:///rel/a.sqlite") == Path("rel/a.sqlite")
    assert sqlite_path("sqlite:////abs/a.sqlite") == Path("/abs/a.sqlite")


def test_another_scheme_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigurationError, match="postgresql://") as raised:
        open_ledger("mysql://user:secret-pw@host/db")
    assert "secret-pw" not in str(raised.value)


async def test_a_new_file_is_marked_as_a_shared_ledger_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    async with open_ledger(path) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(1))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    assert is_shared_ledger_file(path)
    assert not (tmp_path / "shared.sqlite.lock").exists()  # no holder lock: many may open it


async def test_the_journal_of_an_import_without_import_id_is_not_taken_for_a_shared_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    Ledger(path).close()
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="without --import"):
        async with open_ledger(path):
            pass
    assert path.read_bytes() == before


async def test_a_shared_ledger_is_not_taken_for_the_journal_of_an_import(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.sqlite"
    async with open_ledger(path) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(2))
    with pytest.raises(LedgerDamagedError):
        Ledger(path)
    async with open_ledger(path) as ledger:
        assert (await ledger.import_info("i")).total == 2


async def test_a_file_that_is_not_a_database_is_damaged_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "noise.sqlite"
    path.write_bytes(b"not a database at all, but long enough to be read as one" * 100)
    with pytest.raises(LedgerDamagedError):
        async with open_ledger(path):
            pass
    assert path.read_bytes().startswith(b"not a database")


async def test_a_ledger_from_a_newer_debtkit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    async with open_ledger(path):
        pass
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO debtkit_schema VALUES (?, 0)", (LATEST_VERSION + 1,))
    with pytest.raises(LedgerError, match="newer debtkit"):
        async with open_ledger(path):
            pass


async def test_a_missing_file_is_an_error_when_not_to_be_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite"
    with pytest.raises(LedgerError, match="does not exist"):
        async with open_ledger(path, create=False):
            pass
    assert not path.exists()


async def test_a_closed_ledger_is_a_ledger_error(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "shared.sqlite")
    async with ledger:
        pass
    with pytest.raises(LedgerError, match="not open"):
        await ledger.import_info("i")


async def test_the_event_loop_runs_while_another_process_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.sqlite"
    async with open_ledger(path) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(3))
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # as another process settling a batch would
        claiming = asyncio.ensure_future(ledger.claim("i", "w", 3, 60))
        ticks = 0
        while ticks < 5:  # the loop keeps running while the claim waits for the lock
            await asyncio.sleep(0.01)
            ticks += 1
        assert not claiming.done()
        holder.execute("COMMIT")
        holder.close()
        _, claims = await asyncio.wait_for(claiming, timeout=60)
    assert [claim.position for claim in claims] == [0, 1, 2]


async def test_reading_an_imports_input_holds_no_lock_on_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    # busy_timeout=0: this worker's claim fails at once if the loader holds the write lock
    async with open_ledger(path, busy_timeout=0.0) as other, open_ledger(path) as loader:
        await other.start_import("busy", ACCOUNT, entries(2))
        claimed: list[int] = []

        async def slow_input() -> AsyncIterator[LoadedDebt]:
            async for entry in entries(2500):
                yield entry
                if entry.position == 2000:  # two chunks are loaded; another worker writes
                    _, claims = await other.claim("busy", "w", 2, 60)
                    claimed.extend(claim.position for claim in claims)

        info = await loader.start_import("big", ACCOUNT, slow_input())
    assert claimed == [0, 1]
    assert info.total == 2500


_CLAIMER = """
import asyncio, json, sys
from debtkit.bulk import open_ledger

async def main():
    got = []
    async with open_ledger(sys.argv[1]) as ledger:
        while True:
            _, claims = await ledger.claim("i", sys.argv[2], 3, 60)
            if not claims:
                break
            got += [claim.position for claim in claims]
    print(json.dumps(got))

asyncio.run(main())
"""


async def test_processes_claiming_at_once_get_disjoint_debts(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    async with open_ledger(path) as ledger:
        await ledger.start_import("i", ACCOUNT, entries(300))
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _CLAIMER, str(path), f"p{n}", stdout=asyncio.subprocess.PIPE
        )
        for n in range(3)
    ]
    outputs = [await asyncio.wait_for(p.communicate(), timeout=300) for p in processes]
    claimed = [json.loads(out) for out, _ in outputs]
    assert [p.returncode for p in processes] == [0, 0, 0]
    everything = [position for got in claimed for position in got]
    assert sorted(everything) == list(range(300))  # each debt once: none twice, none lost


async def test_an_empty_file_is_lost_when_an_earlier_runs_results_exist(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    path.write_bytes(b"")
    results = tmp_path / "debts.results.jsonl"
    results.write_text("{}\n")
    with pytest.raises(LedgerLostError, match="is empty"):
        async with open_ledger(path, earlier_results=[results]):
            pass
    assert path.read_bytes() == b""
