"""CLI commands that rely on a capability some clients lack (preflight, attaching files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from debtkit import Registry
from debtkit.cli import main
from tests.core.test_cli_import import FakeAdapter, adapter, registry, source

__all__ = ["adapter", "registry", "source"]  # the fixtures, re-used


def test_preflight_refuse_without_a_check_imports(
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
    assert len(adapter.provider.cases_by_ref) == 12


def test_attach_to_a_provider_without_files_exits_2(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "invoice.pdf"
    document.write_bytes(b"%PDF")
    code = main(
        ["attach", "c1", str(document), "--provider", "fake", "--credential", "api_key=k"],
        registry,
    )
    assert code == 2
    assert "fake cannot attach files" in capsys.readouterr().err
