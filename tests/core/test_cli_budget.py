"""``--budget``: a Redis that cannot be used stops the import in one line, before anything is
sent, and never shows the URL's password."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from debtkit import Registry
from debtkit.cli import main
from tests.core.fake_cli import FakeAdapter, debts_file, registry_of

SECRET = "hunter2-very-secret"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@pytest.fixture
def adapter() -> FakeAdapter:
    return FakeAdapter()


@pytest.fixture
def registry(adapter: FakeAdapter) -> Registry:
    return registry_of(adapter)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return debts_file(tmp_path, 5, seed=3)


def run_import(source: Path, registry: Registry, *flags: str) -> int:
    argv = ["import", str(source), "--provider", "fake", "--credential", "api_key=k", *flags]
    return main(argv, registry)


def test_an_unreachable_budget_exits_2_in_one_line_and_sends_nothing(
    source: Path, registry: Registry, adapter: FakeAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"redis://127.0.0.1:{closed_port()}/0"
    code = run_import(source, registry, "--budget", url)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "shared budget" in err
    assert "nothing was sent" in err
    assert adapter.connected_with == []  # not even the probe's read was sent
    assert adapter.provider.cases_by_ref == {}


def test_a_budget_error_never_shows_the_password(
    source: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"redis://:{SECRET}@127.0.0.1:{closed_port()}/0"
    code = run_import(source, registry, "--budget", url)
    out, err = capsys.readouterr()
    assert code == 2
    assert SECRET not in out + err
    assert "***" in err


def test_the_budget_url_comes_from_debtkit_budget_when_no_flag_is_given(
    source: Path,
    registry: Registry,
    adapter: FakeAdapter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEBTKIT_BUDGET", f"redis://127.0.0.1:{closed_port()}/0")
    code = run_import(source, registry)
    assert code == 2
    assert "shared budget" in capsys.readouterr().err
    assert adapter.connected_with == []


def test_a_budget_url_that_is_not_redis_is_refused_in_one_line(
    source: Path, registry: Registry, adapter: FakeAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_import(source, registry, "--budget", f"http://user:{SECRET}@example.com/")
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("debtkit: --budget takes a Redis URL")
    assert err.count("\n") == 1
    assert SECRET not in err
    assert adapter.connected_with == []


def test_a_worker_with_an_unreachable_budget_exits_2_before_it_sends_anything(
    registry: Registry, adapter: FakeAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["worker", "--provider", "fake", "--credential", "api_key=k", "--import", "may"]
    argv += ["--ledger", f"postgresql://u:{SECRET}@127.0.0.1:{closed_port()}/ledger"]
    code = main([*argv, "--budget", f"redis://:{SECRET}@127.0.0.1:{closed_port()}/0"], registry)
    err = capsys.readouterr().err
    assert code == 2
    assert "shared budget" in err
    assert SECRET not in err
    assert adapter.connected_with == []
