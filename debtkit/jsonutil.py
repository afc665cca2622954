"""JSON on the wire with exact money: `Decimal` goes out as a number literal and numbers with
a fraction come back as `Decimal`, so no amount ever passes through a float."""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]

# `json` cannot write a Decimal as a number, so each one is written as a string tagged with a
# per-call random nonce, and the tagged strings are unquoted afterwards: no real string can
# carry the nonce, so none is ever mistaken for a number.
_TAGGED = re.compile(r'"dec:([0-9a-f]{16}):(-?[0-9.]+)"')


def dumps(obj: Any) -> str:
    nonce = secrets.token_hex(8)
    tagged = False

    def tag(value: object) -> str:
        nonlocal tagged
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError("non-finite Decimal cannot be sent as JSON")
            tagged = True
            return f"dec:{nonce}:{value:f}"
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    text = json.dumps(obj, separators=(",", ":"), allow_nan=False, default=tag)
    if not tagged:
        return text
    return _TAGGED.sub(lambda m: m[2] if m[1] == nonce else m[0], text)


# One decoder for every call, as `json.loads` itself keeps one for its default options: given
# `parse_float` it would build a decoder and its scanner on every call (every response).
_DECODER = json.JSONDecoder(parse_float=Decimal)


def loads(text: str | bytes) -> Any:
    """Parse JSON; every malformed input raises `ValueError`, a document nested too deeply
    for the parser (``[`` 200,000 times) included, instead of a `RecursionError`."""
    # The checks and decoding `json.loads` makes before it parses, in the same order.
    if isinstance(text, (bytes, bytearray)):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    elif not isinstance(text, str):
        raise TypeError(
            f"the JSON object must be str, bytes or bytearray, not {type(text).__name__}"
        )
    elif text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
