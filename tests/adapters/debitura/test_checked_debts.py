"""Debitura's `create` takes what the client's own `check` returned without checking it again,
and checks everything else, a `CheckedDebt` built by hand included."""

from __future__ import annotations

from collections.abc import Iterable

import attrs
import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit import Debt, Problem, ValidationError, Validator
from debtkit.bulk import Outcome, bulk_import
from debtkit.validation import CheckedDebt
from tests.adapters.debitura.helpers import connect
from tests.conftest import make_full_debt


@attrs.define
class CountingRule:
    name: str = "test.counting"
    seen: int = 0

    def check(self, debt: Debt) -> Iterable[Problem]:
        self.seen += 1
        return ()


async def test_an_unchecked_debt_handed_as_checked_is_still_validated(
    debitura_simulator: RunningSimulator,
) -> None:
    bad = make_full_debt(currency="EURO")
    async with connect(debitura_simulator) as client:
        with pytest.raises(ValidationError):
            await client.create(CheckedDebt(bad, ()))
    assert not debitura_simulator.state.cases


async def test_a_bulk_import_validates_each_debt_once(
    debitura_simulator: RunningSimulator,
) -> None:
    rule = CountingRule()
    debts = [make_full_debt(creditor_reference=f"ONCE-{i}") for i in range(5)]
    async with connect(debitura_simulator) as client:
        client.validator = Validator([*DebituraAdapter().policy_rules(), rule])
        outcomes = [r.outcome async for r in bulk_import(client, debts)]
    assert outcomes == [Outcome.CREATED] * 5
    assert rule.seen == 5
