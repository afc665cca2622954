"""Reading debts from CSV and JSONL files, streaming: one row at a time.

JSONL: each line is a debt in the neutral JSON form (see `debtkit.conversion`).

CSV: a header row names each column by its dotted path in the neutral model, for example
``creditor_reference``, ``amount``, ``currency``, ``debtor.kind``, ``debtor.first_name``,
``debtor.address.country``, ``debtor.contact_person.last_name``, ``overdue.over_12_months``.
``metadata.<key>`` columns fill one metadata entry each; ``metadata`` and ``options`` columns
hold a JSON object. Empty cells are absent values. A `columns` mapping renames a file's own
headers to those paths (``{"Invoice No": "creditor_reference"}``). Headers that are still no
model path are reported once, on the header's line, with the mapping to pass
(`debtkit.files.headers`); a row with values in them is not read.

Files from other systems (`debtkit.files.format`, `debtkit.files.cells`): CSV or JSONL by suffix,
else by content; the CSV delimiter detected among ``, ; tab |`` unless given; dates and amounts
read by a `CellFormat` (``date_format``, ``decimal_comma``) in every date and money column,
refusing rather than guessing. A ``debtor.name`` column (a mapping target, not a model field:
the neutral model keeps first and last names, which providers require separately) holds a
full name: a company debtor's company name, or a person's name split by the rule documented in
`debtkit.files.cells` (``Last, First``; else the last word with its particles), a
``name_split`` problem when it cannot be.

Whatever the bytes, reading never raises past a row: each defect becomes a `Problem` on the
row (line) where it is, and the rest of the file is still read. Encoding: UTF-8 unless
`encoding` says otherwise; a byte order mark wins (UTF-8, UTF-16 LE/BE, UTF-32), and a file
starting with an ASCII character interleaved with NUL bytes is read as BOM-less UTF-16. Bytes
the encoding cannot decode make their line's row invalid (code ``encoding``) with a hint to
pass an encoding. Limits, so one hostile row cannot exhaust memory or the stack:
`CELL_LIMIT` characters per CSV cell or JSON string (the csv module's default field limit),
`LINE_LIMIT` characters per JSONL line, `DEPTH_LIMIT` levels of JSON nesting in a line or cell.

Undecodable bytes are carried through decoding as lone surrogates (U+DC00 + byte), which no
decoder produces from valid input, by a codec error handler registered once under a name of
debtkit's own; that is the one process-wide registration this module makes.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from debtkit.conversion import structure
from debtkit.errors import ConfigurationError, Problem, ValidationError
from debtkit.files.cells import (
    DATE_COLUMNS,
    MONEY_COLUMNS,
    NAME_COLUMN,
    apply_name,
    convert_date,
    convert_money,
)
from debtkit.files.format import FileFormat, detect_format, encoding_of
from debtkit.files.headers import unknown_columns_problem
from debtkit.model import Debt

__all__ = [
    "CELL_LIMIT",
    "CSV_COLUMNS",
    "DEPTH_LIMIT",
    "LINE_LIMIT",
    "CellFormat",
    "FileFormat",
    "Row",
    "count_rows",
    "detect_format",
    "read_csv",
    "read_debts",
    "read_jsonl",
]

CELL_LIMIT = 131_072
LINE_LIMIT = 1_048_576
DEPTH_LIMIT = 32

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
    """One input row: its 1-based line number and either the debt or what is wrong with it.

    `header` marks the problems of a CSV's header line (unknown or undecodable column names):
    they are the file's, not a debt's, so they are reported but never counted as a debt."""

    line: int
    debt: Debt | None
    problems: tuple[Problem, ...] = ()
    header: bool = False


def _structured(line: int, data: object) -> Row:
    try:
        return Row(line, structure(data, Debt))
    except ValidationError as exc:
        return Row(line, None, exc.problems)


_ESCAPE = "debtkit.files.escape"


def _escape_undecodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), error.end


codecs.register_error(_ESCAPE, _escape_undecodable)
_UNDECODED = re.compile(r"[\udc00-\udcff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _open_text(path: str | Path, encoding: str | None, newline: str | None) -> IO[str]:
    """`path` as text: BOM honoured, undecodable bytes escaped, typed errors only."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - handed to the wrapper, which closes it
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        name = encoding_of(raw.read(4), encoding)
        raw.seek(0)
        return io.TextIOWrapper(raw, encoding=name, errors=_ESCAPE, newline=newline)
    except (LookupError, OSError) as exc:
        raw.close()
        if isinstance(exc, LookupError):
            raise ConfigurationError(f"unknown text encoding {encoding!r}") from None
        raise ConfigurationError(f"cannot read {path}: {exc}") from None


def _undecodable(text: str, path: str = "") -> Problem | None:
    found = _UNDECODED.search(text)
    if found is None:
        return None
    byte = ord(found.group()) - 0xDC00
    return Problem(
        path,
        "encoding",
        f"has bytes the file's encoding cannot decode (0x{byte:02X} at character"
        f" {found.start() + 1}); pass --encoding (for example --encoding latin-1, or"
        " utf-16) if the file is not UTF-8",
    )


def _json_problem(data: object, path: str) -> Problem | None:
    """Nesting past `DEPTH_LIMIT`, a string over `CELL_LIMIT`, or an unpaired surrogate
    (``"\\ud800"``) in a key or string: valid JSON that no debt field can hold, nor any
    encoder write out again."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > DEPTH_LIMIT:
                return Problem(path, "depth", f"is nested deeper than {DEPTH_LIMIT} levels")
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
                stack.extend((child, depth + 1) for child in value.values())
            else:
                stack.extend((child, depth + 1) for child in value)
        elif isinstance(value, str) and _SURROGATE.search(value):
            return Problem(path, "encoding", "holds an unpaired surrogate escape (\\ud800...)")
        elif isinstance(value, str) and len(value) > CELL_LIMIT:
            return Problem(path, "size", f"holds a string longer than {CELL_LIMIT} characters")
    return None


def _parse_json(text: str, path: str) -> tuple[Any, Problem | None]:
    """JSON of a line or cell, or the problem with it (never a RecursionError)."""
    try:
        data = json.loads(text)
    except RecursionError:  # the C parser's own guard, far beyond DEPTH_LIMIT
        return None, Problem(path, "depth", f"is nested deeper than {DEPTH_LIMIT} levels")
    except ValueError:
        return None, Problem(path, "json", "is not valid JSON")
    problem = _json_problem(data, path)
    return (None, problem) if problem else (data, None)


def _jsonl_lines(handle: IO[str]) -> Iterator[tuple[int, str | None]]:
    """(line number, text) of non-blank lines; text None for a line over `LINE_LIMIT`."""
    number = 0
    while text := handle.readline(LINE_LIMIT + 1):
        number += 1
        if len(text) > LINE_LIMIT:
            while (rest := handle.readline(LINE_LIMIT)) and not rest.endswith("\n"):
                pass  # skip the rest of the overlong line without holding it
            yield number, None
            continue
        if number == 1:
            text = text.lstrip("\ufeff")
        if text.strip():
            yield number, text


def read_jsonl(path: str | Path, *, encoding: str | None = None) -> Iterator[Row]:
    with _open_text(path, encoding, newline=None) as handle:
        for number, text in _jsonl_lines(handle):
            if text is None:
                too_long = Problem("", "size", f"line is longer than {LINE_LIMIT} characters")
                yield Row(number, None, (too_long,))
                continue
            problem = _undecodable(text)
            if problem is None:
                data, problem = _parse_json(text, "")
            if problem is not None:
                yield Row(number, None, (problem,))
                continue
            yield _structured(number, data)


@attrs.frozen
class CellFormat:
    """How a CSV writes dates and amounts (see `debtkit.files.cells`): ISO dates and dot
    decimals unless told otherwise."""

    date_format: str | None = None
    decimal_comma: bool = False


def _cell(path: str, value: str, cells: CellFormat) -> tuple[Any, Problem | None]:
    if path in _JSON_COLUMNS:
        return _parse_json(value, path)
    if path in DATE_COLUMNS:
        return convert_date(path, value, cells.date_format)
    if path in MONEY_COLUMNS:
        return convert_money(path, value, cells.decimal_comma)
    return value, None


@functools.lru_cache(maxsize=1024)
def _column(path: str) -> tuple[bool, tuple[str, ...], str]:
    """(whether its cells need `_cell`, parent keys, leaf key) of a column path, worked out
    once per path rather than once per cell of a bulk import."""
    *parents, leaf = path.split(".")
    converted = path in _JSON_COLUMNS or path in DATE_COLUMNS or path in MONEY_COLUMNS
    return converted, tuple(parents), leaf


def _nest(cells: Mapping[str, str], style: CellFormat) -> tuple[dict[str, Any], list[Problem]]:
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    for path, raw in cells.items():
        value: Any = raw.strip()
        if value == "":
            continue
        converted, parents, leaf = _column(path)
        if converted:
            value, problem = _cell(path, value, style)
            if problem is not None:
                problems.append(problem)
                continue
        target = data
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                problems.append(Problem(path, "column", "conflicts with another column"))
                break
        else:
            target[leaf] = value
    debtor = data.get("debtor")
    if isinstance(debtor, dict) and "name" in debtor:
        problem = apply_name(debtor)
        if problem is not None:
            problems.append(problem)
    return data, problems


def _csv_records(
    handle: IO[str], delimiter: str = ","
) -> Iterator[tuple[int, list[str] | Problem]]:
    """(line number, cells or the problem reading them), the header included; blank lines
    skipped. A record the csv module cannot read (NUL byte, a cell over its field limit)
    becomes a problem and reading goes on from the next line."""
    reader = csv.reader(handle, delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, Problem("", "csv", f"is not readable CSV ({exc})")
            continue
        if cells:
            yield reader.line_num, cells


@attrs.frozen
class _Header:
    names: list[str]
    repeated: list[Problem]  # a repeated column: which of its cells is meant is unknown
    unknown: frozenset[str]  # reported once, on the header's line
    line: int
    style: CellFormat


def _csv_row(line: int, header: _Header, cells: list[str]) -> Row:
    problems = list(header.repeated)
    if len(cells) != len(header.names):
        problems.append(
            Problem("", "columns", f"has {len(cells)} cells, the header has {len(header.names)}")
        )
    named: dict[str, str] = {}
    unknown_cells = False
    # One scan of the whole row instead of two checks per cell: rows are almost always clean.
    clean = _UNDECODED.search("".join(cells)) is None and max(map(len, cells)) <= CELL_LIMIT
    for name, cell in zip(header.names, cells, strict=False):  # ragged: reported above
        if name in header.unknown:
            unknown_cells = unknown_cells or bool(cell.strip())
            continue
        if clean:
            named[name] = cell
            continue
        problem = _undecodable(cell, name)
        if len(cell) > CELL_LIMIT:
            problem = Problem(name, "size", f"is longer than {CELL_LIMIT} characters")
        if problem is not None:
            problems.append(problem)
        else:
            named[name] = cell
    data, nest_problems = _nest(named, header.style)
    row = _structured(line, data)
    problems += nest_problems
    # A cell refused above is absent from `data`: its "required" would say it twice. With
    # unknown columns, a missing field is most likely one of them under another name: the
    # header's one hint says so, instead of one "required" per field and row.
    refused = {p.path for p in problems}
    problems += [
        p
        for p in row.problems
        if not (p.code == "required" and (p.path in refused or unknown_cells))
    ]
    if unknown_cells and not problems:
        # Its values in unknown columns would be lost: not read, and said once per file.
        reason = f"is not read: it has values in unknown columns (see line {header.line})"
        problems.append(Problem("", "unknown_column", reason))
    return Row(line, None, tuple(problems)) if problems else row


KNOWN_COLUMNS = (*CSV_COLUMNS, NAME_COLUMN)


def _header(line: int, record: list[str], rename: Mapping[str, str], style: CellFormat) -> _Header:
    record[0] = record[0].lstrip("\ufeff")
    # Undecodable bytes in a header are reported once, then shown as U+FFFD: a column name
    # ends up in problem paths, which must stay printable.
    names = [_SURROGATE.sub("\ufffd", rename.get(n, n)) for n in record]
    repeated = [
        Problem(name, "column", "appears more than once in the header")
        for name, count in sorted(Counter(names).items())
        if count > 1
    ]
    unknown = frozenset(
        n for n in names if n not in KNOWN_COLUMNS and not n.startswith("metadata.")
    )
    return _Header(names, repeated, unknown, line, style)


def read_csv(
    path: str | Path,
    columns: Mapping[str, str] | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    cells: CellFormat | None = None,
) -> Iterator[Row]:
    """Rows of a CSV file; `delimiter` detected when None (see `debtkit.files.format`).

    Headers that are no model path (nor renamed to one by `columns`) are reported ONCE, as a
    problem on the header's line that lists them with the ``--column`` mapping to pass; a
    data row with values in them is not read (its values would be lost), and says so in one
    problem only when it has no other."""
    rename = dict(columns or {})
    if delimiter is None:
        delimiter = detect_format(path, encoding=encoding).delimiter
    style = cells or CellFormat()
    with _open_text(path, encoding, newline="") as handle:
        header: _Header | None = None
        for line, record in _csv_records(handle, delimiter):
            if isinstance(record, Problem):
                yield Row(line, None, (record,))
                if header is None:
                    return  # without a header no row can be read
                continue
            if header is None:
                header = _header(line, record, rename, style)
                bad = [p for n in record if (p := _undecodable(n, _SURROGATE.sub("\ufffd", n)))]
                if header.unknown:
                    unknown = [n for n in dict.fromkeys(header.names) if n in header.unknown]
                    present = [n for n in header.names if n not in header.unknown]
                    bad.append(unknown_columns_problem(unknown, KNOWN_COLUMNS, present))
                if bad:
                    yield Row(line, None, tuple(bad), header=True)
                continue
            yield _csv_row(line, header, record)


def _resolve(
    path: str | Path, encoding: str | None, delimiter: str | None, file_format: FileFormat | None
) -> FileFormat:
    if file_format is not None:
        return file_format
    return detect_format(path, encoding=encoding, delimiter=delimiter)


def count_rows(
    path: str | Path,
    columns: Mapping[str, str] | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    file_format: FileFormat | None = None,
) -> int:
    """How many rows `read_debts` will yield, without structuring any (for progress totals)."""
    found = _resolve(path, encoding, delimiter, file_format)
    if found.kind == "csv":
        with _open_text(path, encoding, newline="") as handle:
            records = _csv_records(handle, found.delimiter)
            first = next(records, None)
            rest = sum(1 for _ in records)
        if first is None or isinstance(first[1], Problem):
            return rest + (first is not None)  # a header problem is counted like the header
        header = _header(first[0], list(first[1]), dict(columns or {}), CellFormat())
        return rest + bool(header.unknown or _UNDECODED.search("".join(first[1])))
    with _open_text(path, encoding, newline=None) as handle:
        return sum(1 for _ in _jsonl_lines(handle))


def read_debts(
    path: str | Path,
    columns: Mapping[str, str] | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    cells: CellFormat | None = None,
    file_format: FileFormat | None = None,
) -> Iterator[Row]:
    """Rows of a CSV or JSONL file: by its suffix, else by its content (`detect_format`, or
    the `file_format` it returned). `columns` and `cells` apply to CSV."""
    found = _resolve(path, encoding, delimiter, file_format)
    if found.kind == "csv":
        return read_csv(path, columns, encoding=encoding, delimiter=found.delimiter, cells=cells)
    return read_jsonl(path, encoding=encoding)
