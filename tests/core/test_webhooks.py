"""Framework-free webhook helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from multidict import CIMultiDict

from debtkit.errors import ValidationError
from debtkit.events.webhooks import header, json_object, matches_any, parse_timestamp


def test_header_lookup_ignores_the_case_of_plain_dict_keys() -> None:
    assert header({"x-getbill-signature": "abc"}, "X-GetBill-Signature") == "abc"


def test_header_lookup_works_on_case_insensitive_multidicts() -> None:
    assert header(CIMultiDict({"X-DEBITURA-SIGNATURE": "t=1"}), "x-debitura-signature") == "t=1"


def test_header_lookup_returns_none_when_absent() -> None:
    assert header({"Other": "x"}, "X-GetBill-Signature") is None


def test_matches_any_finds_a_match_among_several() -> None:
    assert matches_any("ab" * 32, ["00" * 32, "AB" * 32])
    assert not matches_any("ab" * 32, ["00" * 32, "é", ""])


@pytest.mark.parametrize("body", [b"", b"[]", b"null", b"\xff", b"{", b"1" * 10])
def test_json_object_refuses_anything_but_an_object(body: bytes) -> None:
    with pytest.raises(ValidationError):
        json_object(body, subject="test webhook")


def test_json_object_reads_fractions_as_decimal() -> None:
    assert str(json_object(b'{"a": 1.10}', subject="x")["a"]) == "1.10"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:30:00Z", dt.datetime(2024, 1, 15, 10, 30, tzinfo=dt.timezone.utc)),
        (
            "2024-01-15T10:30:00.1234567Z",
            dt.datetime(2024, 1, 15, 10, 30, 0, 123456, dt.timezone.utc),
        ),
        ("2024-01-15 11:30:00+01:00", dt.datetime(2024, 1, 15, 10, 30, tzinfo=dt.timezone.utc)),
        ("2024-01-15T10:30:00", dt.datetime(2024, 1, 15, 10, 30, tzinfo=dt.timezone.utc)),
    ],
)
def test_parse_timestamp_reads_provider_formats_as_utc(text: str, expected: dt.datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("value", [None, 12, "", "yesterday", "2024-13-45"])
def test_parse_timestamp_gives_none_for_anything_else(value: object) -> None:
    assert parse_timestamp(value) is None
