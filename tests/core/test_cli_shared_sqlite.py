"""``debtkit import/worker/status`` with a shared ledger in a file (``--ledger PATH --import ID``),
and the rule that ``--ledger PATH`` without ``--import`` stays the import's own journal."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from debtkit.bulk import Account, account_key, open_ledger, start_import
from debtkit.bulk.ledger import APPLICATION_ID
from debtkit.bulk.sqlite_migrations import is_shared_ledger_file
from debtkit.cli import main
from debtkit.files import read_debts
from tests.core.fake_cli import FakeAdapter, debts_file, registry_of

FAKE = ["--provider", "fake", "--credential", "api_key=k"]


async def cli(argv: list[str], adapter: FakeAdapter) -> int:
    """The CLI in a thread: it runs its own event loop."""
    return await asyncio.to_thread(main, argv, registry_of(adapter))


async def test_import_with_a_file_ledger_and_an_import_id_is_a_shared_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 12, seed=5)
    ledger = tmp_path / "shared.sqlite"
    argv = ["import", str(source), *FAKE, "--ledger", str(ledger), "--import", "may"]
    code = await cli(argv, adapter)
    out = capsys.readouterr().out
    assert code == 0
    assert is_shared_ledger_file(ledger)
    assert len(adapter.provider.cases_by_ref) == 12
    assert "fake: 12 debts: created 12" in out
    assert "may" in out


async def test_worker_drains_an_import_started_in_a_file_and_exits_by_itself(
    tmp_path: Path,
) -> None:
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 30, seed=6)
    ledger = tmp_path / "shared.sqlite"
    account = Account("fake", account_key("fake", "fake:default", {"api_key": "k"}))
    async with open_ledger(ledger) as shared:
        client = adapter.connect({"api_key": "k"})
        await start_import(client, shared, read_debts(source), account=account, import_id="w1")
    argv = ["worker", *FAKE, "--ledger", str(ledger), "--import", "w1", "--batch-size", "7"]
    code = await asyncio.wait_for(cli(argv, adapter), timeout=120)
    assert code == 0
    assert len(adapter.provider.cases_by_ref) == 30


async def test_status_counts_an_imports_debts_in_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 5, seed=7)
    with source.open("a") as f:
        f.write('{"creditor_reference": "BROKEN"}\n')
    ledger = str(tmp_path / "shared.sqlite")
    assert (
        await cli(["import", str(source), *FAKE, "--ledger", ledger, "--import", "s1"], adapter)
        == 4
    )
    capsys.readouterr()
    assert await cli(["status", "--ledger", ledger, "--import", "s1"], adapter) == 0
    out = capsys.readouterr().out
    assert "import s1 (fake): 6 debts" in out
    assert "created: 5" in out
    assert "invalid: 1" in out


async def test_worker_and_status_never_create_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.sqlite"
    assert await cli(["status", "--ledger", str(missing), "--import", "x"], FakeAdapter()) == 2
    argv = ["worker", *FAKE, "--ledger", str(missing), "--import", "x"]
    assert await cli(argv, FakeAdapter()) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not missing.exists()


async def test_a_ledger_path_without_an_import_id_stays_the_imports_own_journal(
    tmp_path: Path,
) -> None:
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 4, seed=8)
    journal = tmp_path / "journal.sqlite"
    assert await cli(["import", str(source), *FAKE, "--ledger", str(journal)], adapter) == 0
    header = journal.read_bytes()[:72]
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID
    assert (tmp_path / "journal.sqlite.lock").exists()  # held by one process, as before


async def test_a_shared_file_given_without_an_import_id_is_refused_before_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "shared.sqlite"
    async with open_ledger(ledger):
        pass
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 3, seed=9)
    assert await cli(["import", str(source), *FAKE, "--ledger", str(ledger)], adapter) == 2
    assert "pass --import ID" in capsys.readouterr().err
    assert adapter.provider.cases_by_ref == {}


async def test_an_import_id_without_a_ledger_is_refused_before_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEBTKIT_LEDGER", raising=False)
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 3, seed=10)
    assert await cli(["import", str(source), *FAKE, "--import", "x"], adapter) == 2
    assert "--import needs the shared ledger" in capsys.readouterr().err
    assert adapter.provider.cases_by_ref == {}


def test_a_lost_shared_file_is_refused_when_the_earlier_imports_results_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 3, seed=11)
    ledger = tmp_path / "shared.sqlite"
    argv = ["import", str(source), *FAKE, "--ledger", str(ledger), "--import", "once"]
    assert main(argv, registry_of(adapter)) == 0
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ledger}{suffix}").unlink(missing_ok=True)
    results = Path(f"{source}.fake.results.jsonl")
    before = results.read_text()
    adapter.provider.create_calls.clear()
    assert main(argv, registry_of(adapter)) == 2
    assert "is missing but an earlier import wrote" in capsys.readouterr().err
    assert adapter.provider.create_calls == []
    assert results.read_text() == before  # the evidence is kept
