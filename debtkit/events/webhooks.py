"""Framework-free pieces every webhook verifier needs.

Verifiers take the raw body bytes exactly as received and the request headers, so they work
under aiohttp, Starlette, Django or Flask alike. Signatures are compared with
`hmac.compare_digest` only. Each provider's header format is parsed in its adapter; what is
shared lives here: case-insensitive header lookup, HMAC-SHA256 in hex, the constant-time
comparison, and reading a verified body as a JSON object.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

from debtkit import jsonutil
from debtkit.errors import Problem, ValidationError

__all__ = [
    "header",
    "hmac_sha256_hex",
    "json_object",
    "matches_any",
    "parse_timestamp",
    "raw_body",
]


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header `name`, whatever the case of its spelling in `headers`.

    Works for plain dicts as well as case-insensitive multidicts (aiohttp, Starlette, Django's
    ``request.headers``): the exact spelling is tried first, then every key is folded.
    """
    try:
        value = headers.get(name)
        if value is None:
            wanted = name.casefold()
            for key, candidate in headers.items():
                if isinstance(key, str) and key.casefold() == wanted:
                    value = candidate
                    break
    except (AttributeError, TypeError, ValueError):  # not a mapping: no header at all
        return None
    return value if isinstance(value, str) else None


def raw_body(body: object, *, subject: str) -> bytes:
    """The body as bytes; `ValidationError` for anything that is not raw bytes (a decoded
    string can differ from what was signed, so it is refused rather than re-encoded)."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise ValidationError(
        [Problem("", "not_bytes", "the body must be the raw request bytes")], subject=subject
    )


def hmac_sha256_hex(key: bytes, message: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of `message` under `key`."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def matches_any(expected: str, candidates: Iterable[str]) -> bool:
    """Whether any candidate equals `expected`, each compared in constant time.

    Every candidate is compared (no early exit), so timing reveals neither which candidate
    matched nor how much of it did. Hex is compared case-insensitively as bytes.
    """
    wanted = expected.lower().encode("ascii")
    found = False
    for candidate in candidates:
        try:
            given = candidate.strip().lower().encode("ascii")
        except UnicodeEncodeError:
            continue
        found |= hmac.compare_digest(wanted, given)
    return found


def json_object(body: bytes, *, subject: str) -> Mapping[str, Any]:
    """A verified body as a JSON object; `ValidationError` (never a crash) when it is not one.

    Numbers with a fraction come back as `Decimal` (see `debtkit.jsonutil`).
    """
    try:
        payload = jsonutil.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValidationError(
            [Problem("", "not_json", "the body is not JSON")], subject=subject
        ) from None
    if not isinstance(payload, dict):
        raise ValidationError(
            [Problem("", "not_object", "the body is not a JSON object")], subject=subject
        )
    return payload


_FRACTION = re.compile(r"\.(\d+)")


def parse_timestamp(value: object) -> dt.datetime | None:
    """An ISO 8601 string as an aware UTC datetime; None for anything else (never raises)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00").replace(" ", "T")
    # .NET writes 7 fractional digits and Python 3.10 reads only 3 or 6: keep microseconds.
    text = _FRACTION.sub(lambda m: "." + (m[1] + "000000")[:6], text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:  # naive provider times are read as UTC
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)
