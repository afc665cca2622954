from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from debtkit import DebtorKind
from debtkit.files import CSV_COLUMNS, read_csv, read_debts


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_csv_columns_are_dotted_model_paths(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "d.csv",
        [
            {
                "creditor_reference": "R-1",
                "amount": "12.50",
                "currency": "EUR",
                "debtor.kind": "company",
                "debtor.company_name": "ACME",
                "debtor.contact_person.last_name": "Doe",
                "debtor.address.country": "FR",
                "metadata.crm_id": "42",
                "options": '{"getbill": {"accept_expensive_destination": true}}',
                "notes": "",
            }
        ],
    )
    (row,) = read_csv(source)
    assert row.debt is not None
    assert row.debt.amount == Decimal("12.50")
    assert row.debt.debtor.kind is DebtorKind.COMPANY
    assert row.debt.debtor.contact_person.last_name == "Doe"  # type: ignore[union-attr]
    assert row.debt.metadata == {"crm_id": "42"}
    assert row.debt.options == {"getbill": {"accept_expensive_destination": True}}
    assert row.debt.notes is None


def test_column_mapping_renames_a_file_headers(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "d.csv", [{"Invoice No": "F-9", "Total": "3", "Cur": "EUR", "Name": "Doe"}]
    )
    columns = {
        "Invoice No": "creditor_reference",
        "Total": "amount",
        "Cur": "currency",
        "Name": "debtor.last_name",
    }
    (row,) = read_csv(source, columns)
    assert row.debt is not None
    assert (row.debt.creditor_reference, row.debt.debtor.last_name) == ("F-9", "Doe")


def test_bad_csv_row_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "d.csv",
        [
            {
                "creditor_reference": "R-1",
                "amount": "1",
                "currency": "EUR",
                "debtor.last_name": "Doe",
                "metadata": "",
                "colour": "",
            },
            {
                "creditor_reference": "R-2",
                "amount": "x",
                "currency": "EUR",
                "debtor.last_name": "Doe",
                "metadata": "{",
                "colour": "red",
            },
        ],
    )
    header, first, second = read_csv(source)
    assert [p.code for p in header.problems] == ["unknown_column"]  # once, on line 1
    assert "'colour'" in header.problems[0].message
    assert first.debt is not None
    assert second.line == 3
    assert {p.path for p in second.problems} == {"metadata", "amount"}


def test_documented_columns_cover_the_whole_model() -> None:
    assert "debtor.address.state" in CSV_COLUMNS
    assert "overdue.over_24_months" in CSV_COLUMNS


def test_suffix_picks_the_reader(tmp_path: Path) -> None:
    source = tmp_path / "d.jsonl"
    source.write_text(
        '{"creditor_reference": "R", "amount": "1", "currency": "EUR", "debtor": {}}\n'
    )
    (row,) = read_debts(source)
    assert row.debt is not None


def test_count_rows_matches_what_read_debts_yields(tmp_path: Path) -> None:
    from debtkit.files import count_rows

    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text('{"creditor_reference": "R"}\n\n{not json\n')
    source = write_csv(
        tmp_path / "d.csv", [{"creditor_reference": "A\\nB"}, {"creditor_reference": "C"}]
    )
    assert count_rows(jsonl) == len(list(read_debts(jsonl))) == 2
    assert count_rows(source) == len(list(read_debts(source))) == 2


def test_count_rows_counts_the_unknown_columns_line(tmp_path: Path) -> None:
    from debtkit.files import count_rows

    source = write_csv(tmp_path / "d.csv", [{"Invoice No": "F-1", "amount": "1"}] * 3)
    assert count_rows(source) == len(list(read_debts(source))) == 4
    mapped = {"Invoice No": "creditor_reference"}
    assert count_rows(source, mapped) == len(list(read_debts(source, mapped))) == 3
