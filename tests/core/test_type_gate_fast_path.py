"""The type gate's yes/no fast path agrees with its full check, field by field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from debtkit import Debt
from debtkit.validation.types import _check_for, _fits_for
from tests.conftest import make_full_debt

WRONG = (None, 1.5, 7, "text", "\ud800", {"k": 1}, {1: "v"}, {"k": {2: 1}}, Decimal("1"),
         dt.date(2024, 1, 1), dt.datetime(2024, 1, 1), True, ())  # fmt: skip


def full_check(value: object, cls: type) -> list[object]:
    found: list[object] = []
    _check_for(cls)(value, "", found)  # type: ignore[arg-type]
    return found


def variants() -> list[tuple[str, object, type]]:
    debt = make_full_debt()
    cases: list[tuple[str, object, type]] = [("debt", debt, Debt)]
    for holder, cls, prefix in ((debt, Debt, ""), (debt.debtor, type(debt.debtor), "debtor.")):
        for field in attrs.fields(cls):
            for wrong in WRONG:
                changed = attrs.evolve(holder, **{field.name: wrong})
                whole = changed if cls is Debt else attrs.evolve(debt, debtor=changed)
                cases.append((f"{prefix}{field.name}={wrong!r}", whole, Debt))
    return cases


@pytest.mark.parametrize(("label", "value", "cls"), variants(), ids=lambda v: str(v)[:40])
def test_the_fast_answer_is_yes_exactly_when_the_full_check_finds_nothing(
    label: str, value: object, cls: type
) -> None:
    assert _fits_for(cls)(value) == (full_check(value, cls) == [])
