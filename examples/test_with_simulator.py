"""Testing your own integration against a simulator: a pytest file, as you would write one.

`pip install 'debtkit[testing]'` brings pytest and pytest-asyncio; the `getbill_simulator`
fixture comes with debtkit (its pytest plugin is registered on install). Run it with
``python -m pytest examples/test_with_simulator.py``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from debtkit_getbill.simulator import RunningSimulator

from debtkit import CaseStatus, Debt, Debtor, ValidationError


def overdue_invoice(reference: str) -> Debt:
    """Your code: turns an unpaid invoice of yours into a debt."""
    debtor = Debtor(first_name="Ana", last_name="Lopez", email="ana.lopez@example.com")
    return Debt(reference, debtor, Decimal("99.90"), "EUR")


# --8<-- [start:test]
@pytest.mark.asyncio
async def test_an_overdue_invoice_reaches_getbill(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(overdue_invoice("INV-7"))
        assert case.status is CaseStatus.PENDING
        assert (await client.find("INV-7")) == case


@pytest.mark.asyncio
async def test_a_bad_invoice_costs_no_request(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        with pytest.raises(ValidationError):
            await client.create(overdue_invoice(""))
    assert getbill_simulator.state.requests() == []


# --8<-- [end:test]
