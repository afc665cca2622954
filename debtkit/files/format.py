"""How a file of debts is written: CSV or JSONL, its text encoding, its CSV delimiter.

Each is detected from the first `SAMPLE_BYTES` of the file unless given:

- Kind: ``.csv``/``.tsv`` is CSV, ``.jsonl``/``.ndjson``/``.json`` is JSONL; any other name
  (``.txt``, none) is chosen by content: a first non-blank character ``{`` means JSONL,
  anything else CSV.
- Encoding: a byte order mark wins (UTF-8, UTF-16, UTF-32); then the given encoding; a file
  starting with an ASCII character interleaved with NUL bytes is BOM-less UTF-16; otherwise
  UTF-8. When no encoding is given and the sample is not valid UTF-8 but decodes entirely as
  Windows-1252 (what Excel and most Western European accounting tools write),
  `FileFormat.likely_encoding` is ``cp1252``, for the CLI to suggest ``--encoding cp1252`` in
  one line. The file is NOT read that way unasked: the same bytes decode as Latin-1, cp1250
  (Central Europe) or cp1257 too, with other letters, and a wrong guess would silently change
  debtors' names and addresses handed to a collector. Undecodable rows stay refused, each
  with its hint, as before.
- Delimiter: `csv.Sniffer` on the complete lines of the first `SNIFF_CHARS` characters,
  restricted to `DELIMITERS`; comma when it cannot tell.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import attrs

from debtkit.errors import ConfigurationError

__all__ = ["DELIMITERS", "SAMPLE_BYTES", "FileFormat", "detect_format", "encoding_of"]

SAMPLE_BYTES = 65_536
SNIFF_CHARS = 4096
DELIMITERS = ",;\t|"
_CSV_SUFFIXES = {".csv", ".tsv"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)  # fmt: skip


@attrs.frozen
class FileFormat:
    kind: str  # "csv" or "jsonl"
    encoding: str
    delimiter: str = ","
    likely_encoding: str | None = None  # not UTF-8, but decodes entirely as this one


def encoding_of(head: bytes, given: str | None) -> str:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if given:
        return given
    if len(head) >= 2 and head[0] and not head[1] and head[0] < 0x80:
        return "utf-16-le"
    if len(head) >= 2 and not head[0] and head[1] and head[1] < 0x80:
        return "utf-16-be"
    return "utf-8"


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _kind(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    return "jsonl" if text.lstrip("\ufeff \t\r\n").startswith("{") else "csv"


def _delimiter(text: str) -> str:
    # The sniffer's quote regexes are quadratic in hostile text (``,"`` repeated): it reads
    # the complete lines of the first SNIFF_CHARS only, about a header and a few rows.
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def detect_format(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> FileFormat:
    """The file's kind, encoding and delimiter: the given ones, or detected (module doc)."""
    path = Path(path)
    if delimiter is not None and len(delimiter) != 1:
        raise ConfigurationError(f"--delimiter takes one character, got {delimiter!r}")
    try:
        with open(path, "rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from None
    name = encoding_of(sample[:4], encoding)
    likely = None
    if name == "utf-8" and not _decodes(sample, "utf-8") and _decodes(sample, "cp1252"):
        likely = "cp1252"
    try:
        text_encoding = getattr(codecs.lookup(name), "_is_text_encoding", True)
    except LookupError:
        raise ConfigurationError(f"unknown text encoding {encoding!r}") from None
    if not text_encoding:  # base64, zlib...: bytes to bytes
        raise ConfigurationError(f"{encoding!r} is not a text encoding")
    try:
        text = codecs.decode(sample, name, errors="replace")
    except (UnicodeError, ValueError):  # e.g. a sample cut inside a fixed-width character
        text = ""
    kind = _kind(path, text)
    if delimiter is None:
        delimiter = _delimiter(text) if kind == "csv" else ","
    return FileFormat(kind, name, delimiter, likely)
