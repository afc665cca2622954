"""Objective rules, each a thin layer over phonenumbers, schwifty or pycountry.

Every function returns the normalised value or raises `RuleViolation` with a stable code and a
message that never repeats the offending value (it may be personal data).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import functools
import math
import re
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import phonenumbers
import pycountry
import schwifty
from phonenumbers import NumberParseException, ValidationResult
from schwifty import exceptions as iban_errors

__all__ = [
    "PhoneNumber",
    "RuleViolation",
    "check_amount",
    "check_date_order",
    "check_email",
    "check_json_value",
    "clear_memos",
    "currency_exponent",
    "is_flat_json",
    "is_json_value",
    "json_problem",
    "normalize_currency",
    "normalize_iban",
    "normalize_phone",
    "resolve_country",
    "resolve_state",
]


class RuleViolation(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


@attrs.frozen
class PhoneNumber:
    e164: str
    region: str  # ISO 3166-1 alpha-2 of the number's territory, e.g. "RE" for Réunion
    country_code: int

    @property
    def national_number(self) -> str:
        """The digits as dialled inside the country, with the trunk prefix (``0612345678``)."""
        prefix = phonenumbers.ndd_prefix_for_region(self.region, True) or ""
        return prefix + self.e164[len(str(self.country_code)) + 1 :]


_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: ("invalid_country_code", "invalid country code"),
    NumberParseException.NOT_A_NUMBER: ("not_a_number", "is not a phone number"),
    NumberParseException.TOO_SHORT_AFTER_IDD: ("too_short", "phone number too short"),
    NumberParseException.TOO_SHORT_NSN: ("too_short", "phone number too short"),
    NumberParseException.TOO_LONG: ("too_long", "phone number too long"),
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: ("invalid_country_code", "invalid country code"),
    ValidationResult.TOO_SHORT: ("too_short", "phone number too short"),
    ValidationResult.TOO_LONG: ("too_long", "phone number too long"),
    ValidationResult.INVALID_LENGTH: ("invalid_length", "phone number has an invalid length"),
}


class _PhoneMemo:
    """What each distinct (number, region) read as, valid or refused; bounded, oldest out first.

    Phone parsing is most of what validating a debt costs, and a number is looked up again
    by adapters' policy rules (GetBill prices its destination) and by a second validation of
    the normalised debt. A number written with its country code reads the same in every
    region, so it is kept once, under no region; a national number's E.164 form is kept too.
    Refusals are kept as well: a refused number is looked up as often as a valid one.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        # Ordered: evicting the oldest of a plain dict scans the holes earlier evictions left.
        self._found: OrderedDict[tuple[str, str | None], PhoneNumber | RuleViolation] = (
            OrderedDict()
        )

    def get(self, key: tuple[str, str | None]) -> PhoneNumber | RuleViolation | None:
        return self._found.get(key)

    def put(self, key: tuple[str, str | None], found: PhoneNumber | RuleViolation) -> None:
        entries = self._found
        if len(entries) >= self._size:
            with contextlib.suppress(KeyError):  # another thread emptied it first
                entries.popitem(last=False)
        entries[key] = found

    def clear(self) -> None:
        self._found.clear()


_PHONES = _PhoneMemo(4096)
# A plus and a country code (none starts with 0): phonenumbers then ignores the region. With
# "+0..." it does not (the reason it gives for refusing one depends on the region).
_INTERNATIONAL = re.compile(r"\+[1-9]")


def normalize_phone(value: str, default_region: str = "FR") -> PhoneNumber:
    """Parse `value` (national numbers read in `default_region`) into a valid E.164 number."""
    if not isinstance(value, str):
        return _raise_or_return(_read_phone(value, default_region))
    key = (value, None if _INTERNATIONAL.match(value) else default_region)
    found = _PHONES.get(key)
    if found is None:
        found = _read_phone(value, key[1])
        _PHONES.put(key, found)
        if isinstance(found, PhoneNumber) and found.e164 != value:
            _PHONES.put((found.e164, None), found)
    return _raise_or_return(found)


def _raise_or_return(found: PhoneNumber | RuleViolation) -> PhoneNumber:
    if isinstance(found, RuleViolation):
        raise RuleViolation(found.code, found.message)  # a fresh one: no shared traceback
    return found


def _read_phone(value: str, region: str | None) -> PhoneNumber | RuleViolation:
    try:
        parsed = phonenumbers.parse(value, region)
    except NumberParseException as exc:
        return RuleViolation(
            *_PARSE_REASONS.get(exc.error_type, ("invalid", "is not a phone number"))
        )
    # Same as phonenumbers.is_valid_number, keeping the region it finds (it is costly).
    found = phonenumbers.region_code_for_number(parsed)
    if found is None or not phonenumbers.is_valid_number_for_region(parsed, found):
        # Only a refused number pays for finding out why.
        reason = phonenumbers.is_possible_number_with_reason(parsed)
        return RuleViolation(
            *_POSSIBLE_REASONS.get(reason, ("invalid_number", "number format is not valid"))
        )
    national = phonenumbers.national_significant_number(parsed)
    return PhoneNumber(f"+{parsed.country_code}{national}", found, int(parsed.country_code or 0))


def clear_memos() -> None:
    """Forget every memoised phone number (benchmarks start each round with none)."""
    _PHONES.clear()


# Deliberately simple: a dot-separated local part (no leading, trailing or double dots), one
# @ and a dotted domain without spaces. Deliverability is the provider's business (GetBill even
# charges for it).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(
    rf"{_ATOM}(?:\.{_ATOM})*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}}"
)


def check_email(value: str) -> str:
    candidate = value.strip()
    if len(candidate) > 254 or not _EMAIL.fullmatch(candidate):
        raise RuleViolation("invalid_email", "is not a valid email address")
    return candidate


_IBAN_REASONS: tuple[tuple[type[Exception], str, str], ...] = (
    (iban_errors.InvalidChecksumDigits, "checksum", "IBAN checksum does not match"),
    (iban_errors.InvalidBBANChecksum, "checksum", "IBAN national checksum does not match"),
    (iban_errors.InvalidLength, "length", "IBAN has the wrong length for its country"),
    (iban_errors.InvalidCountryCode, "country", "IBAN country code is not known"),
    (iban_errors.InvalidStructure, "structure", "IBAN does not match its country's format"),
)


def normalize_iban(value: str) -> str:
    try:
        return str(schwifty.IBAN(value).compact)
    except iban_errors.SchwiftyException as exc:
        for kind, code, message in _IBAN_REASONS:
            if isinstance(exc, kind):
                raise RuleViolation(code, message) from None
        raise RuleViolation("invalid_iban", "is not a valid IBAN") from None


@functools.lru_cache(maxsize=1024)
def resolve_country(value: str) -> str:
    """An alpha-2 code from an alpha-2 code (any case) or an exact English or official name."""
    text = value.strip()
    if len(text) == 2:
        found = pycountry.countries.get(alpha_2=text.upper())
    else:
        folded = text.casefold()
        found = next(
            (
                c
                for c in pycountry.countries
                if folded
                in {
                    c.name.casefold(),
                    getattr(c, "official_name", "").casefold(),
                    getattr(c, "common_name", "").casefold(),
                }
            ),
            None,
        )
    if found is None:
        raise RuleViolation("unknown_country", "is not an ISO 3166-1 alpha-2 code or country name")
    return str(found.alpha_2)


@functools.lru_cache(maxsize=1024)
def resolve_state(value: str, country: str) -> str | None:
    """An ISO 3166-2 code (``US-CA``) from ``US-CA``, ``CA`` or ``California`` in `country`.

    None when the country has no subdivisions by that name or code.
    """
    text = value.strip()
    upper = text.upper()
    code = upper if upper.startswith(f"{country}-") else f"{country}-{upper}"
    found = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    if found is None:
        folded = text.casefold()
        found = next(
            (
                s
                for s in pycountry.subdivisions.get(country_code=country)  # type: ignore[no-untyped-call]
                or ()
                if s.name.casefold() == folded
            ),
            None,
        )
    return str(found.code) if found is not None else None


# ISO 4217 minor units that differ from the usual 2 (pycountry does not carry them).
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


@functools.lru_cache(maxsize=512)
def normalize_currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise RuleViolation("unknown_currency", "is not an active ISO 4217 currency code")
    return code


def currency_exponent(code: str) -> int:
    return _EXPONENTS.get(code, 2)


_QUANTA = {places: Decimal(1).scaleb(-places) for places in {2, *_EXPONENTS.values()}}


def check_amount(amount: Decimal, currency: str | None) -> None:
    if not amount.is_finite():
        raise RuleViolation("not_finite", "must be a finite number")
    if amount <= 0:
        raise RuleViolation("not_positive", "must be greater than 0")
    if currency is None:
        return
    allowed = currency_exponent(currency)
    try:
        exact = amount == amount.quantize(_QUANTA[allowed], rounding=decimal.ROUND_DOWN)
    except decimal.InvalidOperation:
        # Past the context's 28 digits quantize overflows; the written digits still tell.
        _, digits, exponent = amount.as_tuple()
        excess = -allowed - int(exponent)
        exact = excess <= 0 or not any(digits[-excess:])
    if not exact:
        raise RuleViolation(
            "too_many_decimals", f"{currency} allows at most {allowed} decimal place(s)"
        )


def check_date_order(earlier: dt.date, later: dt.date, message: str) -> None:
    if later < earlier:
        raise RuleViolation("date_order", message)


def check_json_value(value: Any) -> None:
    """Metadata must survive JSON unchanged."""
    found = json_problem(value)
    if found is not None:
        raise RuleViolation(*found)


def is_json_value(value: Any) -> bool:
    return json_problem(value) is None


MAX_JSON_DEPTH = 64
"""Nesting deeper than this is refused: it cannot be sent (encoders recurse; a cycle never
ends), and no provider field needs more than a few levels."""

# Python refuses to print an int of more than 4,300 digits (CVE-2020-10735), so json.dumps fails.
_MAX_JSON_INT = 10**4300


_ASCII_KEYS = str.isascii


def is_flat_json(mapping: Mapping[str, Any]) -> bool:
    """True for the usual metadata: ASCII keys and ASCII text, booleans, None or small ints.

    A quick yes for what nearly every debt carries; False only means "ask `json_problem`".
    """
    if not all(map(_ASCII_KEYS, mapping)):
        return False
    for value in mapping.values():
        kind = type(value)
        if kind is str:
            if not value.isascii():
                return False
        elif not (
            kind is bool or value is None or (kind is int and -_SMALL_INT < value < _SMALL_INT)
        ):
            return False
    return True


_SMALL_INT = 10**18


def json_problem(value: Any) -> tuple[str, str] | None:
    """(code, message) of the first reason `value` would not survive JSON, or None.

    An explicit stack, not recursion: a hostile value may be nested deeper than Python's
    recursion limit, or contain itself.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and not _is_utf8(item):
                return "encoding", "must be text that UTF-8 can encode"
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not -_MAX_JSON_INT < item < _MAX_JSON_INT:
                return "too_large", "integers must have at most 4300 digits"
        elif isinstance(item, float):
            if not math.isfinite(item):  # NaN and infinity do not survive JSON
                return "not_json", "must be JSON data"
        elif isinstance(item, (list, dict)):
            if depth >= MAX_JSON_DEPTH:
                return "too_deep", f"must not be nested more than {MAX_JSON_DEPTH} levels"
            if isinstance(item, dict):
                if not all(isinstance(key, str) for key in item):
                    return "not_json", "must be JSON data"
                if not all(key.isascii() or _is_utf8(key) for key in item):
                    return "encoding", "must be text that UTF-8 can encode"
                item = item.values()
            stack.extend((child, depth + 1) for child in item)
        else:
            return "not_json", "must be JSON data"
    return None


def _is_utf8(text: str) -> bool:
    """False for text with lone surrogates, which no UTF-8 encoder (or provider) accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
