from __future__ import annotations

import json
from pathlib import Path

import pytest

from debtkit import Registry
from debtkit.cli import main
from tests.core.fake_cli import FakeAdapter, debts_file, registry_of


@pytest.fixture
def adapter() -> FakeAdapter:
    return FakeAdapter()


@pytest.fixture
def registry(adapter: FakeAdapter) -> Registry:
    return registry_of(adapter)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return debts_file(tmp_path, 12, seed=5)


def test_import_creates_every_debt_and_exits_0(
    source: Path, registry: Registry, adapter: FakeAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["import", str(source), "--provider", "fake", "--credential", "api_key=k"], registry
    )
    assert code == 0
    assert len(adapter.provider.cases_by_ref) == 12
    assert "fake: 12 debts: created 12" in capsys.readouterr().out


def test_import_writes_one_result_line_per_debt(
    source: Path, registry: Registry, tmp_path: Path
) -> None:
    results = tmp_path / "out.jsonl"
    main(
        [
            "import",
            str(source),
            "--provider",
            "fake",
            "--credential",
            "api_key=k",
            "--results",
            str(results),
        ],
        registry,
    )
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert sorted(line["index"] for line in lines) == list(range(12))
    assert {line["outcome"] for line in lines} == {"created"}
    assert all(line["provider_id"].startswith("fake-") for line in lines)


def test_import_exits_4_when_only_rows_refused_locally_are_not_created(
    source: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = json.loads(source.read_text().splitlines()[0])
    bad["creditor_reference"], bad["currency"] = "BAD-1", "EUX"
    with open(source, "a") as handle:
        handle.write(json.dumps(bad) + "\n")
    code = main(
        ["import", str(source), "--provider", "fake", "--credential", "api_key=k"], registry
    )
    assert code == 4  # 1 is for debts the provider did not create
    assert "invalid 1" in capsys.readouterr().out


def test_rerun_with_the_same_ledger_resumes(
    source: Path, registry: Registry, adapter: FakeAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["import", str(source), "--provider", "fake", "--credential", "api_key=k"]
    main(args, registry)
    adapter.provider.create_calls.clear()
    assert main(args, registry) == 0
    assert adapter.provider.create_calls == []
    assert "already_created 12" in capsys.readouterr().out.splitlines()[-3]


def test_credentials_come_from_the_environment(
    source: Path, registry: Registry, adapter: FakeAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_API_KEY", "from-env")
    main(["import", str(source), "--provider", "fake"], registry)
    assert adapter.connected_with[0]["credentials"] == {"api_key": "from-env"}


def test_missing_credentials_exit_2_naming_the_variables(
    source: Path,
    registry: Registry,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FAKE_API_KEY", raising=False)
    assert main(["import", str(source), "--provider", "fake"], registry) == 2
    assert "FAKE_API_KEY" in capsys.readouterr().err


def test_dry_run_sends_nothing(source: Path, registry: Registry, adapter: FakeAdapter) -> None:
    assert main(["import", str(source), "--provider", "fake", "--dry-run"], registry) == 0
    assert adapter.provider.create_calls == []
    assert adapter.connected_with == []


def test_export_writes_every_case_as_jsonl(
    source: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", str(source), "--provider", "fake", "--credential", "api_key=k"], registry)
    capsys.readouterr()
    assert main(["export", "--provider", "fake", "--credential", "api_key=k"], registry) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 12
    assert json.loads(lines[0])["provider"] == "fake"


def test_export_csv_has_a_header_and_a_row_per_case(
    source: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", str(source), "--provider", "fake", "--credential", "api_key=k"], registry)
    capsys.readouterr()
    main(["export", "--provider", "fake", "--credential", "api_key=k", "--format", "csv"], registry)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("provider,provider_id,")
    assert len(lines) == 13
