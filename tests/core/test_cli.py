from __future__ import annotations

from pathlib import Path

import pytest

from debtkit import to_json
from debtkit.cli import main
from tests.conftest import make_full_debt


def test_validate_reports_every_invalid_row_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from decimal import Decimal

    source = tmp_path / "debts.jsonl"
    source.write_text(
        "\n".join(
            [
                to_json(make_full_debt()),
                to_json(make_full_debt(creditor_reference="B", amount=Decimal(0), overdue=None)),
                "{not json",
            ]
        )
    )
    assert main(["validate", str(source)]) == 1
    out = capsys.readouterr().out
    assert "debts.jsonl:2: amount: must be greater than 0 [not_positive]" in out
    assert "debts.jsonl:3: <root>: is not valid JSON [json]" in out
    assert "validated 3 debts: 1 valid, 2 invalid" in out


def test_validate_clean_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "debts.jsonl"
    source.write_text(to_json(make_full_debt()) + "\n")
    assert main(["validate", str(source)]) == 0
    assert "1 valid, 0 invalid" in capsys.readouterr().out


def test_validate_bundled_example_finds_its_deliberate_mistakes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "--example"]) == 1
    summary = capsys.readouterr().out.splitlines()[-2]
    assert summary.startswith("validated 2400 debts:")


def test_unknown_provider_exits_2_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--example", "--provider", "nope"]) == 2
    assert "no debtkit adapter named 'nope'" in capsys.readouterr().err
