"""`debtkit.jsonutil.loads` reads what `json.loads` reads, with fractions as `Decimal`."""

from __future__ import annotations

from decimal import Decimal

import pytest

from debtkit import jsonutil


def test_fractions_are_exact_decimals_and_integers_stay_ints() -> None:
    assert jsonutil.loads(b'{"a": 0.1, "b": 2}') == {"a": Decimal("0.1"), "b": 2}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32", "utf-16-le", "utf-8-sig"])
def test_bytes_are_decoded_as_json_detects_their_encoding(encoding: str) -> None:
    assert jsonutil.loads('{"name": "Zoë", "amount": 1.50}'.encode(encoding)) == {
        "name": "Zoë",
        "amount": Decimal("1.50"),
    }


def test_text_starting_with_a_byte_order_mark_is_refused_like_json_does() -> None:
    with pytest.raises(ValueError, match="BOM"):
        jsonutil.loads('\ufeff{"a": 1}')


@pytest.mark.parametrize("text", ["", "{", "[1,]", b"\xff\xfe\x00", "NaN x"])
def test_malformed_input_raises_value_error(text: str | bytes) -> None:
    with pytest.raises(ValueError):
        jsonutil.loads(text)


def test_a_document_nested_too_deeply_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        jsonutil.loads("[" * 200_000)
