"""A `CheckedDebt` counts as checked only for the validator that stamped it (bulk imports
validate each debt once; nothing unchecked may skip validation)."""

from __future__ import annotations

from collections.abc import Iterable

import attrs
import pytest

from debtkit import Debt, Problem, ValidationError, Validator
from debtkit.validation import CheckedDebt
from tests.conftest import make_full_debt


@attrs.define
class CountingRule:
    name: str = "test.counting"
    seen: int = 0

    def check(self, debt: Debt) -> Iterable[Problem]:
        self.seen += 1
        return ()


def test_a_debt_this_validator_checked_is_not_checked_again() -> None:
    rule = CountingRule()
    validator = Validator([rule])
    checked = validator.check(make_full_debt())
    assert validator.check(checked) is checked
    assert validator.validate(checked) is checked.debt
    assert rule.seen == 1


def test_a_hand_built_checked_debt_is_checked_again() -> None:
    invalid = make_full_debt(currency="EURO")
    with pytest.raises(ValidationError) as caught:
        Validator().validate(CheckedDebt(invalid, ()))
    assert "currency" in {p.path for p in caught.value.problems}


def test_a_debt_another_validator_checked_is_checked_again() -> None:
    rule = CountingRule()
    checked = Validator().check(make_full_debt())
    assert Validator([rule]).check(checked).ok
    assert rule.seen == 1


def test_changing_a_checked_debt_voids_its_check() -> None:
    validator = Validator()
    checked = validator.check(make_full_debt())
    forged = attrs.evolve(checked, debt=make_full_debt(currency="EURO"))
    assert not validator.check(forged).ok
    refused = validator.check(make_full_debt(currency="EURO"))
    assert not validator.check(attrs.evolve(refused, problems=())).ok
