from __future__ import annotations

import pytest
from debtkit_getbill import GetBillOptions

from debtkit import ValidationError
from tests.adapters.getbill.helpers import person_debt


def test_options_are_read_typed_from_the_debt() -> None:
    debt = person_debt(options={"getbill": {"timeline_id": "t1", "civility_completion": False}})
    assert GetBillOptions.of(debt) == GetBillOptions(timeline_id="t1", civility_completion=False)


def test_debt_without_getbill_options_has_defaults() -> None:
    assert GetBillOptions.of(person_debt()) == GetBillOptions()


def test_apply_to_puts_only_the_set_options_on_the_debt() -> None:
    debt = GetBillOptions(accept_expensive_destination=True).apply_to(person_debt())
    assert debt.options == {"getbill": {"accept_expensive_destination": True}}


def test_apply_to_keeps_other_providers_options() -> None:
    debt = person_debt(options={"debitura": {"x": 1}})
    assert GetBillOptions(timeline_id="t").apply_to(debt).options["debitura"] == {"x": 1}


def test_wrong_option_types_are_refused_with_their_paths() -> None:
    debt = person_debt(options={"getbill": {"accept_expensive_destination": 1, "timeline_id": 5}})
    with pytest.raises(ValidationError) as caught:
        GetBillOptions.of(debt)
    assert {p.path for p in caught.value.problems} == {
        "options.getbill.accept_expensive_destination",
        "options.getbill.timeline_id",
    }
