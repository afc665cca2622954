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


def loads(text: str | bytes) -> Any:
    """Parse JSON; every malformed input raises `ValueError`, a document nested too deeply
    for the parser (``[`` 200,000 times) included, instead of a `RecursionError`."""
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
