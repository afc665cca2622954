"""Reading debts from CSV and JSONL files, streaming: one row at a time.

JSONL: each line is a debt in the neutral JSON form (see `debtkit.conversion`).

CSV: a header row names each column by its dotted path in the neutral model, for example
``creditor_reference``, ``amount``, ``currency``, ``debtor.kind``, ``debtor.first_name``,
``debtor.address.country``, ``debtor.contact_person.last_name``, ``overdue.over_12_months``.
``metadata.<key>`` columns fill one metadata entry each; ``metadata`` and ``options`` columns
hold a JSON object. Empty cells are absent values. A `columns` mapping renames a file's own
headers to those paths (``{"Invoice No": "creditor_reference"}``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from debtkit.conversion import structure
from debtkit.errors import Problem, ValidationError
from debtkit.model import Debt

__all__ = ["CSV_COLUMNS", "Row", "count_rows", "read_csv", "read_debts", "read_jsonl"]

CSV_COLUMNS = (
    "creditor_reference", "amount", "currency", "invoice_date", "due_date", "description",
    "invoice_reference", "iban", "payment_link", "creditor_name", "notes",
    "debtor.kind", "debtor.first_name", "debtor.last_name", "debtor.company_name",
    "debtor.civility", "debtor.birth_date", "debtor.email", "debtor.phone",
    "debtor.registration_number", "debtor.reference",
    "debtor.contact_person.first_name", "debtor.contact_person.last_name",
    "debtor.address.street", "debtor.address.number", "debtor.address.postal_code",
    "debtor.address.city", "debtor.address.state", "debtor.address.country",
    "debtor.address.full",
    "overdue.over_6_months", "overdue.over_12_months", "overdue.over_24_months",
    "metadata", "options",
)  # fmt: skip
_JSON_COLUMNS = {"metadata", "options"}


@attrs.frozen
class Row:
    """One input row: its 1-based line number and either the debt or what is wrong with it."""

    line: int
    debt: Debt | None
    problems: tuple[Problem, ...] = ()


def _structured(line: int, data: object) -> Row:
    try:
        return Row(line, structure(data, Debt))
    except ValidationError as exc:
        return Row(line, None, exc.problems)


def read_jsonl(path: str | Path) -> Iterator[Row]:
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except ValueError:
                yield Row(number, None, (Problem("", "json", "is not valid JSON"),))
                continue
            yield _structured(number, data)


def _nest(cells: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    for path, raw in cells.items():
        value: Any = raw.strip()
        if value == "":
            continue
        if path in _JSON_COLUMNS:
            try:
                value = json.loads(value)
            except ValueError:
                problems.append(Problem(path, "json", "is not a JSON object"))
                continue
        *parents, leaf = path.split(".")
        target = data
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                problems.append(Problem(path, "column", "conflicts with another column"))
                break
        else:
            target[leaf] = value
    return data, problems


def read_csv(path: str | Path, columns: Mapping[str, str] | None = None) -> Iterator[Row]:
    rename = dict(columns or {})
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            line = reader.line_num
            cells = {rename.get(k, k): v or "" for k, v in record.items() if k is not None}
            data, problems = _nest(cells)
            row = _structured(line, data)
            if problems:
                row = Row(line, None, (*problems, *row.problems))
            yield row


def count_rows(path: str | Path) -> int:
    """How many rows `read_debts` will yield, without structuring any (for progress totals)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        if Path(path).suffix.lower() == ".csv":
            return sum(1 for _ in csv.DictReader(handle))
        return sum(1 for line in handle if line.strip())


def read_debts(path: str | Path, columns: Mapping[str, str] | None = None) -> Iterator[Row]:
    """Rows of a ``.csv`` or ``.jsonl``/``.ndjson`` file, chosen by its suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return read_csv(path, columns)
    return read_jsonl(path)
