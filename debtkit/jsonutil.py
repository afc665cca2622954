"""JSON on the wire with exact money: `Decimal` goes out as a number literal and numbers with
a fraction come back as `Decimal`, so no amount ever passes through a float."""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]

# Decimals travel through `json.dumps` as strings tagged with a per-call random nonce and are
# then unquoted in one pass, so no real string can be mistaken for one.


def _tag(value: Any, tag: str) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("non-finite Decimal cannot be sent as JSON")
        return tag + format(value, "f")
    if isinstance(value, dict):
        return {key: _tag(item, tag) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tag(item, tag) for item in value]
    return value


def dumps(obj: Any) -> str:
    nonce = secrets.token_hex(8)
    text = json.dumps(_tag(obj, f"dec:{nonce}:"), separators=(",", ":"), allow_nan=False)
    return re.sub(f'"dec:{nonce}:(-?[0-9.]+)"', r"\1", text)


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)
