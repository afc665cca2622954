"""`debtkit validate --provider getbill` as a user runs it, on phone numbers from real files."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from debtkit import Address, to_json
from debtkit.cli import main
from tests.adapters.getbill.helpers import person_debt, with_debtor


def _validate(tmp_path: Path, *debts: object) -> tuple[int, str]:
    source = tmp_path / "debts.jsonl"
    source.write_text("".join(to_json(d) + "\n" for d in debts))  # type: ignore[arg-type]
    return main(["validate", str(source), "--provider", "getbill"]), str(source.name)


def test_eu_numbers_are_valid_for_getbill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    german = with_debtor(person_debt("DE-1"), phone="+4915123456789")
    spanish = with_debtor(person_debt("ES-1"), phone="+34612345678")
    code, _ = _validate(tmp_path, german, spanish)
    assert code == 0
    assert "2 valid, 0 invalid" in capsys.readouterr().out


def test_a_us_069_number_is_reported_as_invalid_for_its_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    us = with_debtor(person_debt("US-1"), phone="0690123456", address=Address(country="US"))
    code, name = _validate(tmp_path, attrs.evolve(us, currency="USD"))
    out = capsys.readouterr().out
    assert code == 1
    assert f"{name}:1: debtor.phone" in out
    assert "[invalid_number]" in out
    assert "overseas_mobile" not in out
