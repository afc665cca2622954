"""Quick start: describe a debt once, check it locally, hand it to GetBill, read it back.

Run it as it is (``python examples/quickstart.py``) and it starts GetBill's simulator on
loopback; set GETBILL_CLIENT_ID and GETBILL_CLIENT_SECRET (and GETBILL_BASE_URL for another
server) to talk to a real account instead.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from decimal import Decimal

from debtkit_getbill import GetBillAdapter
from debtkit_getbill.simulator import RunningSimulator

from debtkit import Address, Case, Debt, Debtor, ValidationError, load_adapter, validate_debt

# --8<-- [start:debt]
debt = Debt(
    creditor_reference="INV-2025-001",  # your key: debtkit never creates it twice
    debtor=Debtor(
        first_name="Jeanne",
        last_name="Martin",
        phone="06 12 34 56 78",  # read in the debtor's country, France by default
        email="jeanne.martin@example.com",
        address=Address(city="Lyon", postal_code="69003", country="FR"),
    ),
    amount=Decimal("1250.00"),
    currency="EUR",
)
# --8<-- [end:debt]


# --8<-- [start:create]
async def hand_over(credentials: Mapping[str, str], base_url: str | None = None) -> Case | None:
    adapter = load_adapter("getbill", GetBillAdapter)  # typed: its client is a GetBillClient
    async with adapter.connect(credentials, base_url=base_url) as client:
        checked = client.check(debt)  # local only: no request, every problem at once
        for problem in checked.problems:
            print(problem.path, problem.code, problem.message)
        if not checked.ok:
            return None
        case = await client.create(debt)
        print(case.provider_id, case.status.value)
        return await client.get(case.provider_id)


# --8<-- [end:create]


# --8<-- [start:validate]
def validate_only(debt: Debt) -> Debt | None:
    """Validation alone needs no provider: the objective rules, normalised."""
    try:
        return validate_debt(debt)  # E.164 phone, upper-case codes, compact IBAN
    except ValidationError as error:
        for problem in error.problems:
            print(problem)  # e.g. "debtor.phone: number format is not valid [invalid_number]"
        return None


# --8<-- [end:validate]


async def main() -> None:
    if validate_only(debt) is None:
        raise SystemExit("the example debt should be valid")
    if os.environ.get("GETBILL_CLIENT_ID"):
        credentials = {
            "client_id": os.environ["GETBILL_CLIENT_ID"],
            "client_secret": os.environ.get("GETBILL_CLIENT_SECRET", ""),
        }
        await hand_over(credentials, os.environ.get("GETBILL_BASE_URL"))
        return
    async with RunningSimulator() as simulator:
        await hand_over(simulator.credentials, simulator.base_url)


if __name__ == "__main__":
    asyncio.run(main())
