"""The options that say how an input file is written, shared by `validate` and `import`:
``--delimiter``, ``--date-format``, ``--decimal-comma`` (``--encoding`` and ``--column`` are
declared beside them). Detection itself is `debtkit.files.format`'s; this module only turns
the flags into `read_debts` arguments and tells the user, on stderr, what it could not decide
for them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from debtkit.files import CellFormat
from debtkit.files.format import detect_format

__all__ = ["add_arguments", "read_options"]

_NAMED_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--delimiter",
        help="the CSV delimiter: one character, or tab, comma, semicolon, pipe"
        " (default: detected among , ; tab |)",
    )
    command.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="how the CSV writes dates, for every date column (e.g. %%d/%%m/%%Y;"
        " default: YYYY-MM-DD)",
    )
    command.add_argument(
        "--decimal-comma",
        action="store_true",
        help="amounts use a decimal comma (1 250,00 or 1.250,00), in every money column",
    )


def read_options(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """`read_debts` keyword arguments for `path` from the parsed flags; says on stderr when
    the file is not UTF-8 but reads as another common encoding (never guessed silently)."""
    delimiter = getattr(args, "delimiter", None)
    delimiter = _NAMED_DELIMITERS.get(delimiter.lower(), delimiter) if delimiter else None
    encoding = getattr(args, "encoding", None)
    found = detect_format(path, encoding=encoding, delimiter=delimiter)
    # Said once per file and command, however many passes read it (a dry run reads twice).
    hinted: set[Path] = vars(args).setdefault("_encoding_hinted", set())
    if found.likely_encoding and path not in hinted:
        hinted.add(path)
        print(
            f"debtkit: {path.name} is not UTF-8; it reads as {found.likely_encoding}:"
            f" pass --encoding {found.likely_encoding} if that is its encoding",
            file=sys.stderr,
        )
    cells = CellFormat(getattr(args, "date_format", None), getattr(args, "decimal_comma", False))
    return {"encoding": encoding, "file_format": found, "cells": cells}
