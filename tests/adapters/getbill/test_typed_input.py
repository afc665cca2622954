"""GetBill's entry points that take a debt straight from a caller refuse wrong types with a
`ValidationError` by field path (issue 11, item 10)."""

from __future__ import annotations

import attrs
import pytest
from debtkit_getbill import GetBillAdapter
from debtkit_getbill.credits import estimate_credits

from debtkit import ValidationError
from tests.conftest import make_full_debt


def test_to_wire_refuses_a_float_amount() -> None:
    with pytest.raises(ValidationError) as caught:
        GetBillAdapter().to_wire(make_full_debt(amount=99.5))
    assert [(p.path, p.code) for p in caught.value.problems] == [("amount", "type")]


def test_to_wire_refuses_options_that_are_not_an_object() -> None:
    with pytest.raises(ValidationError) as caught:
        GetBillAdapter().to_wire(make_full_debt(options={"getbill": ["timeline"]}))
    assert [(p.path, p.code) for p in caught.value.problems] == [("options.getbill", "type")]


def test_estimate_credits_refuses_an_int_phone() -> None:
    debtor = attrs.evolve(make_full_debt().debtor, phone=612345678)
    with pytest.raises(ValidationError) as caught:
        estimate_credits([make_full_debt(debtor=debtor)])
    assert [(p.path, p.code) for p in caught.value.problems] == [("debtor.phone", "type")]


def test_client_check_reports_a_dict_debtor_without_raising() -> None:
    client = GetBillAdapter().connect({"access_token": "tok"}, base_url="http://127.0.0.1:9")
    checked = client.check(make_full_debt(debtor={"first_name": "A"}))
    assert [(p.path, p.code) for p in checked.problems] == [("debtor", "type")]
