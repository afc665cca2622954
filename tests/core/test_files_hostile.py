"""Reading hostile files: every defect is a problem on its own row, never an exception."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from debtkit import to_json
from debtkit.errors import ConfigurationError
from debtkit.files import CELL_LIMIT, DEPTH_LIMIT, LINE_LIMIT, count_rows, read_debts
from debtkit.sample import sample_debts

DEBTS = list(sample_debts(3, seed=6, broken=0.0))
LINES = [to_json(d) for d in DEBTS]


def test_undecodable_bytes_make_their_line_a_problem_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(f"{LINES[0]}\n".encode() + b'{"notes": "Zo\xeb"}\n' + f"{LINES[1]}\n".encode())
    rows = list(read_debts(path))
    assert [row.line for row in rows] == [1, 2, 3]
    assert rows[1].debt is None
    assert rows[1].problems[0].code == "encoding"
    assert "--encoding" in rows[1].problems[0].message
    assert rows[2].debt is not None


def test_the_given_encoding_is_used(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(json.dumps({**json.loads(LINES[0]), "notes": "Zoë"}, ensure_ascii=False)
                     .encode("latin-1"))  # fmt: skip
    (row,) = read_debts(path, encoding="latin-1")
    assert row.debt is not None
    assert row.debt.notes == "Zoë"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_byte_order_marks_and_bomless_utf16_are_honoured(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes("\n".join(LINES).encode(encoding))
    rows = list(read_debts(path))
    assert [row.debt for row in rows] == DEBTS


def test_an_unknown_encoding_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(LINES[0])
    with pytest.raises(ConfigurationError, match="no-such"):
        list(read_debts(path, encoding="no-such"))


def test_a_csv_cell_over_the_limit_is_a_problem_on_its_row(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"creditor_reference,notes\nA,{'x' * (CELL_LIMIT + 1)}\nB,short\n")
    first, second = read_debts(path)
    assert first.debt is None
    assert first.line == 2
    assert second.line == 3
    assert all(p.code != "size" and p.code != "csv" for p in second.problems)


def test_a_jsonl_line_over_the_limit_is_skipped_as_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("x" * (LINE_LIMIT + 10) + "\n" + LINES[0] + "\n")
    first, second = read_debts(path)
    assert first.problems[0].code == "size"
    assert second.debt == DEBTS[0]


@pytest.mark.parametrize("depth", [DEPTH_LIMIT + 1, 100_000])
def test_json_nested_too_deep_is_a_problem_not_a_recursion_error(
    tmp_path: Path, depth: int
) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("[" * depth + "]" * depth + "\n" + LINES[0] + "\n")
    first, second = read_debts(path)
    assert first.problems[0].code == "depth"
    assert second.debt == DEBTS[0]


def test_a_ragged_csv_row_is_a_problem_not_silently_cut(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("creditor_reference,amount\nA,1,extra\n")
    (row,) = read_debts(path)
    assert "has 3 cells, the header has 2" in str(row.problems[0])


def test_a_nul_byte_in_csv_is_a_problem_on_its_row(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"creditor_reference,amount\nA\x00,1\nB,2\n")
    rows = list(read_debts(path))
    assert [row.line for row in rows] == [2, 3]


def test_count_rows_agrees_with_read_debts_on_hostile_files(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + b"\xff\xfe\n\n[[[]]]\n" + LINES[0].encode())
    assert count_rows(path) == len(list(read_debts(path))) == 3
