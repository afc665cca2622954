"""Files exported from real systems, through `debtkit validate` as a user runs it: other
delimiters, encodings, extensions, headers, local dates and amounts, full names."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from debtkit.cli import main

HEADER = [
    "creditor_reference", "amount", "currency", "due_date", "debtor.kind",
    "debtor.first_name", "debtor.last_name", "debtor.email", "debtor.address.country",
]  # fmt: skip
ROWS = [
    ["R-1", "12.50", "EUR", "2025-02-15", "person", "Jan", "Berg", "jan@example.com", "FR"],
    ["R-2", "99", "EUR", "2025-03-01", "person", "Zoé", "Martin", "zoe@example.com", "FR"],
]


def write(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    path.write_bytes("".join(delimiter.join(row) + "\r\n" for row in rows).encode(encoding))
    return path


def validate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["validate", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"]
)
def test_the_delimiter_is_detected(
    delimiter: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "debts.csv", [HEADER, *ROWS], delimiter)
    code, out, _ = validate(capsys, str(path))
    assert (code, out.splitlines()[-1]) == (0, "validated 2 debts: 2 valid, 0 invalid")


def test_the_delimiter_can_be_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "debts.csv", [HEADER, *ROWS], ";")
    code, out, _ = validate(capsys, str(path), "--delimiter", "semicolon")
    assert code == 0, out
    code, out, _ = validate(capsys, str(path), "--delimiter", ",")
    assert code == 1


def test_a_wrong_delimiter_is_named_in_one_hint_not_a_list_of_required_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "debts.csv", [HEADER, *ROWS * 10], ";")
    code, out, _ = validate(capsys, str(path), "--delimiter", ",")
    assert code == 1
    assert "--delimiter" in out
    assert "';'" in out
    assert "[required]" not in out


@pytest.mark.parametrize("name", ["debts.txt", "debts"])
def test_a_csv_without_a_csv_extension_is_read_as_csv(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / name, [HEADER, *ROWS], ";")
    code, out, _ = validate(capsys, str(path))
    assert (code, out.splitlines()[-1]) == (0, "validated 2 debts: 2 valid, 0 invalid")


def test_jsonl_without_a_jsonl_extension_is_read_as_jsonl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = (
        '{"creditor_reference":"R","amount":"1","currency":"EUR","debtor":{"last_name":"Doe",'
        '"email":"d@example.com","address":{"country":"FR"}}}'
    )
    path = tmp_path / "debts.txt"
    path.write_text(f"\n{line}\n")
    code, out, _ = validate(capsys, str(path))
    assert (code, out.splitlines()[-1]) == (0, "validated 1 debts: 1 valid, 0 invalid")


def test_a_cp1252_file_is_refused_with_the_encoding_to_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "debts.csv", [HEADER, *ROWS], ";", "cp1252")
    code, _, err = validate(capsys, str(path))
    assert err.count("--encoding cp1252") == 1
    assert code == 1  # never guessed: the same bytes are other letters in cp1250 or Latin-1
    assert err.count("\n") == 1
    assert "--encoding cp1252" in err
    code, _out, err = validate(capsys, str(path), "--encoding", "cp1252")
    assert (code, err) == (0, "")


USER_HEADER = ["Invoice No", "Montant", "Currency", "Customer", "E-mail", "Due date", "Country"]
USER_ROWS = [
    [f"F-{n}", "10.00", "EUR", "Jan van der Berg", "jan@example.com", "2025-02-15", "FR"]
    for n in range(22)
]


def test_unknown_headers_get_one_line_with_the_column_flags_to_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "export.csv", [USER_HEADER, *USER_ROWS])
    code, out, _ = validate(capsys, str(path))
    assert code == 1
    hints = [line for line in out.splitlines() if "--column" in line]
    assert len(hints) == 1
    assert hints[0].startswith("export.csv:1: ")
    assert "unknown_field" not in out
    for flag in [
        '"Invoice No=creditor_reference"', '"Montant=amount"', '"Currency=currency"',
        '"Customer=debtor.name"', '"E-mail=debtor.email"', '"Due date=due_date"',
        '"Country=debtor.address.country"',
    ]:  # fmt: skip
        assert f"--column {flag}" in hints[0]
    flags = shlex.split(re.sub(r".*?(--column .*?)(;|\(|$).*", r"\1", hints[0]))
    code, out, _ = validate(capsys, str(path), *flags)  # what the hint says, as the user would
    assert (code, out.splitlines()[-1]) == (0, "validated 22 debts: 22 valid, 0 invalid")


def test_a_row_with_values_in_unknown_columns_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "d.csv", [[*HEADER, "colour"], [*ROWS[0], "red"], [*ROWS[1], ""]])
    _code, out, _ = validate(capsys, str(path))
    assert "d.csv:2: <root>: is not read: it has values in unknown columns" in out
    assert "validated 2 debts: 1 valid, 1 invalid" in out  # the header line is not a debt


DATED = [HEADER, ["R-1", "1 250,00", "EUR", "15/02/2025", *ROWS[0][4:]]]


def test_local_dates_and_amounts_are_refused_with_the_flag_to_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "d.csv", DATED, ";")
    code, out, _ = validate(capsys, str(path))
    assert code == 1
    assert "d.csv:2: due_date: must be a date in YYYY-MM-DD format" in out
    assert "--date-format %d/%m/%Y" in out
    assert "--decimal-comma" in out
    assert "[required]" not in out


def test_date_format_and_decimal_comma_read_local_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "d.csv", DATED, ";")
    code, out, _ = validate(capsys, str(path), "--date-format", "%d/%m/%Y", "--decimal-comma")
    assert code == 0, out


@pytest.mark.parametrize("amount", ["1.25", "1250.50", "1,250.00", "1.250 000", "12,5,0"])
def test_decimal_comma_refuses_an_ambiguous_amount_on_its_cell(
    amount: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "d.csv", [HEADER, [ROWS[0][0], amount, *ROWS[0][2:]]], ";")
    code, out, _ = validate(capsys, str(path), "--decimal-comma")
    assert code == 1
    assert "d.csv:2: amount: is not an amount with a decimal comma" in out


def test_a_date_not_in_the_given_format_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "d.csv", [HEADER, ROWS[0]], ";")  # ISO, told %d/%m/%Y
    _code, out, _ = validate(capsys, str(path), "--date-format", "%d/%m/%Y")
    assert "d.csv:2: due_date: does not match --date-format %d/%m/%Y [format]" in out


def test_a_full_name_of_one_word_is_a_name_split_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [USER_HEADER, USER_ROWS[0], [*USER_ROWS[1][:3], "Madonna", *USER_ROWS[1][4:]]]
    path = write(tmp_path / "d.csv", rows)
    names = ["--column", "Customer=debtor.name", "--column", "Montant=amount"]
    refs = ["--column", "Invoice No=creditor_reference", "--column", "Currency=currency"]
    rest = ["--column", "E-mail=debtor.email", "--column", "Due date=due_date"]
    country = ["--column", "Country=debtor.address.country"]
    _code, out, _ = validate(capsys, str(path), *names, *refs, *rest, *country)
    assert "d.csv:3: debtor.name: cannot be split into first and last name" in out
    assert "[name_split]" in out
    assert "validated 2 debts: 1 valid, 1 invalid" in out


def test_detection_reads_a_bounded_sample_of_hostile_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The csv sniffer is quadratic on this: reading it whole would take minutes.
    path = tmp_path / "hostile.txt"
    path.write_text(',"' * 200_000 + "\n")
    code, _, _ = validate(capsys, str(path))
    assert code == 1


def test_the_unknown_columns_line_stays_short_for_a_hostile_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.csv"
    path.write_text(",".join(f"col{n}" + "x" * 500 for n in range(1000)) + "\n")
    _, out, _ = validate(capsys, str(path))
    (hint,) = [line for line in out.splitlines() if "unknown columns" in line]
    assert len(hint) < 5000
    assert "and 980 more" in hint


def test_a_dry_run_names_the_encoding_to_pass_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "debts.csv", [HEADER, *ROWS], ";", "cp1252")
    main(["import", str(path), "--provider", "getbill", "--dry-run"])
    assert capsys.readouterr().err.count("--encoding cp1252") == 1


def test_a_header_with_unknown_columns_fails_validation_without_counting_as_a_debt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "d.csv", [[*HEADER, "colour"], [*ROWS[0], ""], [*ROWS[1], ""]])
    code, out, _ = validate(capsys, str(path))
    assert code == 1
    assert "d.csv:1: <root>: unknown columns 'colour'" in out
    assert out.splitlines()[-2] == "validated 2 debts: 2 valid, 0 invalid"
