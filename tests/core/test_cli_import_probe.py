"""Before sending, `debtkit import` reads the first page of cases: wrong credentials, a wrong
base URL or a provider that is down end the command with one line and exit 2, nothing sent.
Against both built-in simulators, as a user runs the command."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from debtkit import Registry, to_json
from debtkit.cli import main
from debtkit.sample import sample_debts
from tests.core.served_simulator import ServedSimulator

PROVIDERS = ["getbill", "debitura"]


@pytest.fixture(params=PROVIDERS)
def served(request: pytest.FixtureRequest) -> Iterator[ServedSimulator]:
    with ServedSimulator(Registry().get(request.param)) as simulator:
        yield simulator


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "debts.jsonl"
    path.write_text("".join(to_json(d) + "\n" for d in sample_debts(5, seed=3, broken=0.0)))
    return path


def import_(source: Path, flags: list[str]) -> int:
    return main(["import", str(source), "--preflight", "off", *flags])


def debtkit_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("debtkit:")]


def test_wrong_credentials_exit_2_in_one_line_before_any_debt(
    served: ServedSimulator, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = {name: f"{value}-wrong" for name, value in served.credentials.items()}
    code = import_(source, served.flags(wrong))
    err = capsys.readouterr().err
    assert code == 2
    assert len(debtkit_lines(err)) == 1
    assert "refused" in debtkit_lines(err)[0] or "not allowed" in debtkit_lines(err)[0]
    assert "nothing was sent" in err
    assert not source.with_name(source.name + f".{served.adapter.name}.ledger.sqlite").exists()


def test_a_wrong_base_url_exits_2_naming_the_404(
    served: ServedSimulator, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = served.flags()
    flags[flags.index("--base-url") + 1] = served.base_url.rstrip("/") + "/no/such/api/"
    code = import_(source, flags)
    err = capsys.readouterr().err
    assert code == 2
    assert debtkit_lines(err) == [line for line in debtkit_lines(err) if "404" in line]
    assert "check --base-url" in err


def test_a_provider_that_is_down_exits_2_cannot_reach(
    served: ServedSimulator, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    flags = served.flags()
    down = f"http://127.0.0.1:{port}/"
    flags[flags.index("--base-url") + 1] = down
    code = import_(source, flags)
    err = capsys.readouterr().err
    assert code == 2
    assert len(debtkit_lines(err)) == 1
    assert "cannot reach" in err
    assert "Ambiguous" not in err


def test_right_credentials_import_every_debt(
    served: ServedSimulator, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_(source, served.flags()) == 0
    assert "created 5" in capsys.readouterr().out
