"""Cells of files from real systems: local dates and amounts, a full name in one column.

Each function turns one CSV cell into what the neutral model reads, or returns a `Problem`
for that cell; none guesses. The rules:

- Dates (`DATE_COLUMNS`): with a ``date_format`` (``%d/%m/%Y``) a cell must match it exactly
  (`datetime.strptime`); without one, cells are left as they are (ISO ``YYYY-MM-DD``), and a
  cell that looks like a local date (``15/02/2025``) is refused with a hint to pass
  ``--date-format``.
- Amounts (`MONEY_COLUMNS`): with ``decimal_comma`` the comma is the decimal separator and
  the integer part may be grouped in thousands by ONE kind of separator, used throughout:
  a dot, a space (also non-breaking U+00A0, narrow U+202F, thin U+2009) or an apostrophe
  (``'`` or ``’``); every group after the first has exactly 3 digits. So ``1 250,00``,
  ``1.250,00``, ``1'250,5``, ``1250,5`` and ``1.250`` (one thousand two hundred and fifty) are
  read, and ``1.25``, ``1250.50``, ``1,250.00``, ``1.250 000`` are refused. Without it, cells
  are left to the model's dot decimals, and a cell written with a decimal comma is refused
  with a hint to pass ``--decimal-comma``.
- A full name (`NAME_COLUMN`, ``debtor.name``): for a company debtor (``debtor.kind``
  ``company``) it is the company name. For a person it is split into first and last name:
  with a comma, ``Last, First``; otherwise the last word is the last name together with the
  particles just before it (`PARTICLES`: ``van``, ``de``, ``von``, ``da``, ``le``...), and the
  words before are the first name. A name that leaves either part empty (one word) cannot be
  split: problem ``name_split``. The neutral model keeps first and last names; the split
  happens here, in the file layer, so that every provider sees the same two fields.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from debtkit.errors import Problem

__all__ = [
    "DATE_COLUMNS",
    "MONEY_COLUMNS",
    "NAME_COLUMN",
    "PARTICLES",
    "convert_date",
    "convert_money",
    "split_name",
]

DATE_COLUMNS = frozenset({"invoice_date", "due_date", "debtor.birth_date"})
MONEY_COLUMNS = frozenset(
    {"amount", "overdue.over_6_months", "overdue.over_12_months", "overdue.over_24_months"}
)
NAME_COLUMN = "debtor.name"
PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "da", "das", "do", "dos", "di", "du", "del", "della",
     "la", "le", "ten", "ter", "zu", "bin", "ibn", "al", "el", "st", "st."}
)  # fmt: skip

_LOCAL_DATE = re.compile(r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SEPARATORS = ".'\u2019 \u00a0\u202f\u2009"
_COMMA_AMOUNT = re.compile(
    r"(?P<sign>[+-]?)(?P<int>\d{1,3}(?:(?P<sep>[" + _SEPARATORS + r"])\d{3})(?:(?P=sep)\d{3})*"
    r"|\d+)(?:,(?P<frac>\d+))?"
)
_LOOKS_COMMA = re.compile(r"[+-]?[\d" + _SEPARATORS + r"]*\d,\d+")


def convert_date(path: str, value: str, date_format: str | None) -> tuple[Any, Problem | None]:
    if date_format is None:
        if _LOCAL_DATE.fullmatch(value) and not _ISO_DATE.fullmatch(value):
            hint = "must be a date in YYYY-MM-DD format; for dates like 15/02/2025 pass"
            return None, Problem(path, "format", f"{hint} --date-format %d/%m/%Y")
        return value, None
    try:
        return dt.datetime.strptime(value, date_format).date().isoformat(), None
    except ValueError:
        return None, Problem(path, "format", f"does not match --date-format {date_format}")


def convert_money(path: str, value: str, decimal_comma: bool) -> tuple[Any, Problem | None]:
    if not decimal_comma:
        if _LOOKS_COMMA.fullmatch(value):
            hint = "is not a decimal number; for amounts like 1 250,00 pass --decimal-comma"
            return None, Problem(path, "type", hint)
        return value, None
    found = _COMMA_AMOUNT.fullmatch(value)
    if found is None:
        message = (
            "is not an amount with a decimal comma (thousands grouped by 3 with one"
            " separator: 1 250,00 or 1.250,00)"
        )
        return None, Problem(path, "type", message)
    digits = re.sub(r"\D", "", found["int"])
    try:
        return str(Decimal(f"{found['sign']}{digits}.{found['frac'] or '0'}")), None
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        return None, Problem(path, "type", "is not a decimal number")


def split_name(full: str) -> tuple[str, str] | None:
    """(first name, last name) of a person's full name, or None when it cannot be split."""
    if "," in full:
        last, _, first = full.partition(",")
        first, last = " ".join(first.split()), " ".join(last.split())
        return (first, last) if first and last else None
    words = full.split()
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in PARTICLES:
        start -= 1
    first, last = " ".join(words[:start]), " ".join(words[start:])
    return (first, last) if first and last else None


def apply_name(debtor: dict[str, Any]) -> Problem | None:
    """Replace ``name`` in a debtor's cells by company or first and last name, in place."""
    full = debtor.pop("name")
    if not isinstance(full, str):  # pragma: no cover - cells are strings
        return Problem(NAME_COLUMN, "type", "must be a string")
    targets = ("company_name",) if debtor.get("kind") == "company" else ("first_name", "last_name")
    taken = [t for t in targets if t in debtor]
    if taken:
        return Problem(NAME_COLUMN, "column", f"conflicts with the debtor.{taken[0]} column")
    if targets == ("company_name",):
        debtor["company_name"] = full
        return None
    parts = split_name(full)
    if parts is None:
        message = (
            "cannot be split into first and last name (one word, or an empty part around"
            " the comma); map separate first and last name columns instead"
        )
        return Problem(NAME_COLUMN, "name_split", message)
    debtor["first_name"], debtor["last_name"] = parts
    return None
