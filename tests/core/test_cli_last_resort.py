"""The CLI's last line of defence: an unexpected exception is one line and exit code 3."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

from debtkit import Registry
from debtkit.cli import main
from tests.core.fake_cli import FakeAdapter


class BrokenAdapter(FakeAdapter):
    def policy_rules(self) -> NoReturn:
        raise RuntimeError("debtor Jane Doe +33612345678")  # a bug quoting personal data


@pytest.fixture
def registry() -> Registry:
    registry = Registry(use_entry_points=False)
    registry.register(BrokenAdapter, name="fake")
    return registry


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "d.jsonl"
    path.write_text("{}\n")
    return path


def test_an_unexpected_error_is_one_line_naming_its_type_and_exit_3(
    registry: Registry, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(source), "--provider", "fake"], registry) == 3
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "debtkit: internal error (RuntimeError); this is a bug, please report it"
        " (DEBTKIT_TRACEBACK=1 shows where)"
    ]
    assert "Jane" not in captured.err + captured.out


def test_debtkit_traceback_lets_the_exception_through(
    registry: Registry, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBTKIT_TRACEBACK", "1")
    with pytest.raises(RuntimeError):
        main(["validate", str(source), "--provider", "fake"], registry)
