"""``debtkit import/worker/status`` with a shared ledger (``--ledger postgresql://``, or a file
with ``--import``)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from debtkit.bulk import Account, account_key, open_ledger, start_import
from debtkit.cli import main
from debtkit.files import read_debts
from tests import postgres_server
from tests.core.fake_cli import FakeAdapter, debts_file, registry_of

FAKE = ["--provider", "fake", "--credential", "api_key=k"]


def run(argv: list[str], adapter: FakeAdapter) -> int:
    """The CLI in a thread: it runs its own event loop."""
    return main(argv, registry_of(adapter))


async def cli(argv: list[str], adapter: FakeAdapter) -> int:
    return await asyncio.to_thread(run, argv, adapter)


async def test_import_into_a_postgres_ledger_prints_the_import_id_it_made_and_creates_all(
    postgres_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 12, seed=5)
    code = await cli(["import", str(source), *FAKE, "--ledger", postgres_database], adapter)
    captured = capsys.readouterr()
    assert code == 0
    assert re.search(r"import id [0-9a-f]{16}", captured.err)
    assert len(adapter.provider.cases_by_ref) == 12
    assert "fake: 12 debts: created 12" in captured.out
    assert "ledger: postgresql://debtkit:***@" in captured.out
    assert postgres_server.PASSWORD not in captured.out + captured.err


async def test_worker_drains_a_started_import_and_exits_by_itself(
    shared_ledger_url: str, tmp_path: Path
) -> None:
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 30, seed=6)
    account = Account("fake", account_key("fake", "fake:default", {"api_key": "k"}))
    async with open_ledger(shared_ledger_url) as ledger:
        client = adapter.connect({"api_key": "k"})
        await start_import(client, ledger, read_debts(source), account=account, import_id="w1")
    results = tmp_path / "worker.jsonl"
    argv = [
        "worker", *FAKE, "--ledger", shared_ledger_url, "--import", "w1", "--batch-size", "7",
        "--results", str(results),
    ]  # fmt: skip
    code = await asyncio.wait_for(cli(argv, adapter), timeout=120)
    assert code == 0
    assert len(adapter.provider.cases_by_ref) == 30
    assert len(results.read_text().splitlines()) == 30


async def test_status_counts_an_imports_debts_per_state(
    shared_ledger_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 5, seed=7)
    with source.open("a") as f:
        f.write('{"creditor_reference": "BROKEN"}\n')
    argv = ["import", str(source), *FAKE, "--ledger", shared_ledger_url, "--import", "s1"]
    assert await cli(argv, adapter) == 4  # one invalid row
    capsys.readouterr()
    assert await cli(["status", "--ledger", shared_ledger_url, "--import", "s1"], adapter) == 0
    out = capsys.readouterr().out
    assert "import s1 (fake): 6 debts" in out
    assert "created: 5" in out
    assert "invalid: 1" in out


async def test_a_refused_connection_is_one_typed_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://debtkit:{postgres_server.PASSWORD}@127.0.0.1:1/nowhere"
    code = await cli(["status", "--ledger", url, "--import", "x"], FakeAdapter())
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("debtkit: ledger postgresql://debtkit:***@127.0.0.1:1/nowhere")
    assert "Traceback" not in err
    assert postgres_server.PASSWORD not in err


async def test_a_wrong_password_is_exit_2_and_never_shown(
    postgres_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = postgres_database.replace(postgres_server.PASSWORD, "not-the-password-42")
    source = debts_file(tmp_path, 3, seed=8)
    adapter = FakeAdapter()
    code = await cli(["import", str(source), *FAKE, "--ledger", wrong], adapter)
    err = capsys.readouterr().err
    assert code == 2
    assert "password authentication failed" in err
    assert "not-the-password-42" not in err
    assert adapter.provider.cases_by_ref == {}


async def test_a_worker_without_a_ledger_is_told_where_to_give_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEBTKIT_LEDGER", raising=False)
    code = await cli(["worker", *FAKE, "--import", "x"], FakeAdapter())
    assert code == 2
    assert "DEBTKIT_LEDGER" in capsys.readouterr().err


async def test_importing_again_under_the_same_id_resumes_and_sends_nothing_twice(
    shared_ledger_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 8, seed=9)
    argv = ["import", str(source), *FAKE, "--ledger", shared_ledger_url, "--import", "r1"]
    assert await cli(argv, adapter) == 0
    first = dict(adapter.provider.cases_by_ref)
    assert await cli(argv, adapter) == 0
    assert adapter.provider.cases_by_ref == first
    assert capsys.readouterr().out.count("fake: 8 debts: created 8") == 2


async def test_the_ledger_url_can_come_from_the_environment(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBTKIT_LEDGER", postgres_database)
    adapter = FakeAdapter()
    source = debts_file(tmp_path, 4, seed=10)
    assert await cli(["import", str(source), *FAKE, "--import", "env"], adapter) == 0
    assert await cli(["status", "--import", "env"], adapter) == 0
    assert len(adapter.provider.cases_by_ref) == 4
