"""Phone numbers are parsed once per distinct reading: the validator, an adapter's rules and a
second validation of the normalised debt share what phonenumbers found, refusals included."""

from __future__ import annotations

from collections.abc import Iterator

import phonenumbers
import pytest

from debtkit.validation import RuleViolation, rules


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str | None]]]:
    seen: list[tuple[str, str | None]] = []
    real = phonenumbers.parse

    def counting(number: str, region: str | None = None) -> phonenumbers.PhoneNumber:
        seen.append((number, region))
        return real(number, region)

    rules.clear_memos()
    monkeypatch.setattr(phonenumbers, "parse", counting)
    yield seen
    rules.clear_memos()


def test_a_national_number_and_its_e164_form_are_parsed_once(parses: list[object]) -> None:
    first = rules.normalize_phone("06 12 34 56 78", "FR")
    assert rules.normalize_phone(first.e164, "FR") == first
    assert len(parses) == 1


def test_an_international_number_is_parsed_once_whatever_the_region(parses: list[object]) -> None:
    numbers = {rules.normalize_phone("+262 692 12 34 56", region) for region in ("FR", "RE", "US")}
    assert [number.region for number in numbers] == ["RE"]
    assert len(parses) == 1


def test_a_national_number_is_read_again_in_another_region(parses: list[object]) -> None:
    assert rules.normalize_phone("030 12345678", "DE").e164 == "+493012345678"
    with pytest.raises(RuleViolation):
        rules.normalize_phone("030 12345678", "FR")
    assert len(parses) == 2


def test_a_refused_number_is_refused_again_without_parsing(parses: list[object]) -> None:
    codes = []
    for _ in range(2):
        with pytest.raises(RuleViolation) as caught:
            rules.normalize_phone("0690123456", "FR")
        codes.append(caught.value.code)
    assert codes[0] == codes[1] == "invalid_number"
    assert len(parses) == 1


def test_a_number_starting_plus_zero_is_read_in_its_region(parses: list[object]) -> None:
    # phonenumbers' reason for refusing "+0..." depends on the region: never shared.
    for region in ("FR", "DE"):
        with pytest.raises(RuleViolation):
            rules.normalize_phone("+0051234", region)
    assert len(parses) == 2


def test_the_memo_keeps_at_most_its_size() -> None:
    memo = rules._PhoneMemo(2)
    for number in ("+33612345678", "+33612345679", "+33612345670"):
        memo.put((number, None), RuleViolation("x", "y"))
    assert memo.get(("+33612345678", None)) is None
    assert memo.get(("+33612345670", None)) is not None
