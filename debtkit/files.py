"""Reading debts from files, streaming: one row at a time, never the whole file in memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import attrs

from debtkit.conversion import structure
from debtkit.errors import Problem, ValidationError
from debtkit.model import Debt

__all__ = ["Row", "read_jsonl"]


@attrs.frozen
class Row:
    """One input row: its 1-based line number and either the debt or what is wrong with it."""

    line: int
    debt: Debt | None
    problems: tuple[Problem, ...] = ()


def read_jsonl(path: str | Path) -> Iterator[Row]:
    """Each non-blank line is one debt in the neutral JSON form (see `debtkit.conversion`)."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError:
                yield Row(number, None, (Problem("", "json", "is not valid JSON"),))
                continue
            try:
                yield Row(number, structure(data, Debt))
            except ValidationError as exc:
                yield Row(number, None, exc.problems)
