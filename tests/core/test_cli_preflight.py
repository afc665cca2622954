"""``debtkit import --preflight`` with a provider whose client offers no preflight check."""

from __future__ import annotations

from pathlib import Path

import pytest

from debtkit import Registry
from debtkit.cli import main
from tests.core.test_cli_import import FakeAdapter, adapter, registry, source

__all__ = ["adapter", "registry", "source"]  # the fixtures, re-used


def test_preflight_without_a_check_says_so_and_imports(
    source: Path, registry: Registry, adapter: FakeAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "import",
            str(source),
            "--provider",
            "fake",
            "--credential",
            "api_key=k",
            "--preflight",
            "refuse",
        ],
        registry,
    )
    assert code == 0
    assert "fake offers no preflight check" in capsys.readouterr().out
    assert len(adapter.provider.cases_by_ref) == 12
