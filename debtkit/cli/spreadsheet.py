"""CSV cells a spreadsheet opens as data, never as a formula (CSV injection).

OWASP's recommendation: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is prefixed with a single quote, which spreadsheets read as "this is text", and every
cell is written by a CSV writer that quotes separators and doubles embedded quotes. The
full-width forms of the four signs (``＝ ＋ － ＠``) are treated the same, since some
spreadsheets fold them to their ASCII forms.

Reading chosen for numbers: OWASP prefixes any such cell, which would turn an amount of
``-12.50`` into the text ``'-12.50``. A cell that is a plain decimal number as a whole
(optional sign, digits, optional fraction and exponent: ``-12.50``, ``+3``, ``1e5``) cannot be
a formula, so it is left alone; anything else starting with a trigger, such as
``-2+3+cmd|' /C calc'!A0`` or ``=HYPERLINK(...)``, gets the quote.
"""

from __future__ import annotations

import re

__all__ = ["FORMULA_TRIGGERS", "neutralise_formula"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_formula(cell: object) -> object:
    """`cell` as is, unless it is text a spreadsheet would evaluate: then ``'`` + text."""
    if not isinstance(cell, str) or not cell.startswith(FORMULA_TRIGGERS):
        return cell
    if _PLAIN_NUMBER.fullmatch(cell):
        return cell
    return "'" + cell
