from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from debtkit.validation import RuleViolation, rules


def test_french_national_mobile_is_normalised_to_e164() -> None:
    assert rules.normalize_phone("0612345678").e164 == "+33612345678"


def test_overseas_069x_mobile_is_refused_as_a_french_number() -> None:
    with pytest.raises(RuleViolation) as caught:
        rules.normalize_phone("0690123456")
    assert caught.value.code == "invalid_number"


def test_overseas_mobile_in_international_form_is_valid_in_its_territory() -> None:
    phone = rules.normalize_phone("+262 692 12 34 56")
    assert (phone.e164, phone.region) == ("+262692123456", "RE")


def test_default_region_reads_national_numbers() -> None:
    assert rules.normalize_phone("030 12345678", "DE").e164 == "+493012345678"


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        ("123", "too_short", "phone number too short"),
        ("+33 6 12 34 56 78 99 99", "too_long", "phone number too long"),
        ("+999 123456", "invalid_country_code", "invalid country code"),
        ("+1 555 000 0000", "invalid_number", "number format is not valid"),
        ("call me", "not_a_number", "is not a phone number"),
    ],
)
def test_phone_failures_give_a_clear_reason(number: str, code: str, message: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        rules.normalize_phone(number)
    assert (caught.value.code, caught.value.message) == (code, message)


def test_valid_iban_is_compacted() -> None:
    assert (
        rules.normalize_iban("fr14 2004 1010 0505 0001 3m02 606") == "FR1420041010050500013M02606"
    )


def test_iban_with_bad_checksum_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        rules.normalize_iban("FR1420041010050500013M02607")
    assert caught.value.code == "checksum"


@pytest.mark.parametrize(
    ("given", "code"), [("de", "DE"), ("Germany", "DE"), ("Federal Republic of Germany", "DE")]
)
def test_country_resolves_from_code_or_english_name(given: str, code: str) -> None:
    assert rules.resolve_country(given) == code


@pytest.mark.parametrize("given", ["Germny", "XX", "Deutschland"])
def test_unknown_country_is_refused(given: str) -> None:
    with pytest.raises(RuleViolation):
        rules.resolve_country(given)


@pytest.mark.parametrize("given", ["California", "california", "CA", "US-CA", "us-ca"])
def test_us_state_resolves_from_code_or_name(given: str) -> None:
    assert rules.resolve_state(given, "US") == "US-CA"


def test_abbreviated_state_does_not_resolve() -> None:
    assert rules.resolve_state("Calif", "US") is None


def test_currency_is_upper_cased() -> None:
    assert rules.normalize_currency("eur") == "EUR"


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(RuleViolation):
        rules.normalize_currency("EUX")


def test_jpy_with_decimals_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        rules.check_amount(Decimal("1000.5"), "JPY")
    assert caught.value.code == "too_many_decimals"


def test_whole_jpy_amount_is_accepted() -> None:
    rules.check_amount(Decimal("1000"), "JPY")


def test_three_decimal_currency_accepts_fils() -> None:
    rules.check_amount(Decimal("12.345"), "KWD")


def test_trailing_zeros_past_the_allowed_places_are_accepted() -> None:
    rules.check_amount(Decimal("1000.000"), "EUR")


@pytest.mark.parametrize("amount", ["1E+30", "1234567890123456789012345678.12"])
def test_amounts_past_the_decimal_context_precision_are_checked_exactly(amount: str) -> None:
    rules.check_amount(Decimal(amount), "EUR")


def test_digits_past_the_allowed_places_are_refused_however_long_the_amount() -> None:
    with pytest.raises(RuleViolation) as caught:
        rules.check_amount(Decimal("1234567890123456789012345678.125"), "EUR")
    assert caught.value.code == "too_many_decimals"


@pytest.mark.parametrize("amount", ["NaN", "Infinity"])
def test_amount_must_be_finite(amount: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        rules.check_amount(Decimal(amount), "EUR")
    assert caught.value.code == "not_finite"


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_amount_must_be_positive(amount: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        rules.check_amount(Decimal(amount), "EUR")
    assert caught.value.code == "not_positive"


@pytest.mark.parametrize("email", ["a@b.fr", "first.last+tag@sub.example.co.uk"])
def test_valid_email_passes(email: str) -> None:
    assert rules.check_email(email) == email


@pytest.mark.parametrize(
    "email", ["plain", "a@b", "a b@c.fr", "a@@b.fr", ".a@b.fr", "a..b@c.fr", "a.@b.fr"]
)
def test_invalid_email_is_refused(email: str) -> None:
    with pytest.raises(RuleViolation):
        rules.check_email(email)


def test_due_date_before_invoice_date_is_refused() -> None:
    with pytest.raises(RuleViolation):
        rules.check_date_order(dt.date(2024, 2, 1), dt.date(2024, 1, 1), "before")


def test_due_date_equal_to_invoice_date_is_accepted() -> None:
    rules.check_date_order(dt.date(2024, 2, 1), dt.date(2024, 2, 1), "before")
