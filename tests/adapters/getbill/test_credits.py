from __future__ import annotations

from debtkit_getbill import estimate_credits

from tests.adapters.getbill.helpers import person_debt, with_debtor


def test_estimate_prices_each_call_by_destination() -> None:
    debts = [
        with_debtor(person_debt(), phone="+33612345678"),
        with_debtor(person_debt(), phone="+4915123456789"),
        with_debtor(person_debt(), phone="+262692123456"),
        with_debtor(person_debt(), phone="+212612345678"),
    ]
    estimate = estimate_credits(debts)
    assert estimate.call_credits == 25 + 30 + 100 + 125
    assert estimate.debts_by_tier == {"france": 1, "eu": 1, "dom_tom": 1, "maghreb": 1}


def test_national_numbers_are_read_as_french() -> None:
    assert estimate_credits([person_debt()]).call_credits == 25


def test_unpriced_countries_are_listed_not_guessed() -> None:
    debts = [person_debt(), with_debtor(person_debt(), phone="+12025550123")]
    estimate = estimate_credits(debts)
    assert (estimate.unpriced, estimate.call_credits) == ((1,), 25)


def test_debts_without_a_phone_cost_no_call() -> None:
    estimate = estimate_credits([with_debtor(person_debt(), phone=None)])
    assert (estimate.without_phone, estimate.call_credits) == ((0,), 0)


def test_civility_detection_costs_one_credit_per_hundred_debts_rounded_up() -> None:
    debts = [with_debtor(person_debt(), civility=None)] * 101
    assert estimate_credits(debts).civility_detection_credits == 2


def test_civility_detection_switched_off_costs_nothing() -> None:
    debt = with_debtor(
        person_debt(options={"getbill": {"civility_completion": False}}), civility=None
    )
    assert estimate_credits([debt]).civility_detection_credits == 0


def test_email_validation_costs_one_credit_per_five_rounded_up() -> None:
    debt = person_debt(options={"getbill": {"email_validation": True}})
    estimate = estimate_credits([debt] * 6)
    assert estimate.email_validation_credits == 2
    assert estimate.total == 6 * 25 + 2
