"""Before an import: does the company have the credits the import is expected to cost?

`credit_preflight` reads the balance (``GET /company/credits``, its own ``company:read``
token, see `debtkit_getbill.api`) and compares the credit estimate (`estimate_credits`) with
it. It returns findings for a person, empty when the balance covers the estimate: an estimate
over the balance, or a balance that cannot be read (no ``company:read`` scope, an outage),
since the import could then not be checked. ``GetBillClient.preflight`` is the hook the CLI's
``import --preflight warn|refuse`` calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from debtkit import Debt, DebtkitError
from debtkit_getbill.options import PROVIDER

if TYPE_CHECKING:
    from debtkit_getbill.client import GetBillClient

__all__ = ["credit_preflight"]


async def credit_preflight(client: GetBillClient, debts: Iterable[Debt]) -> list[str]:
    """What a person should know before importing `debts`; empty when nothing is wrong."""
    estimate = client.estimate_credits(debts)
    needed = estimate.total
    try:
        balance = (await client.company.credits()).current_credits
    except DebtkitError as error:
        return [
            f"{PROVIDER} credit balance not read ({type(error).__name__}); the estimate "
            f"({needed:,} credits) is unchecked"
        ]
    extra = f" plus {len(estimate.unpriced)} unpriced call(s)" if estimate.unpriced else ""
    if needed > balance:
        return [f"estimated {needed:,} credits{extra} exceed the {PROVIDER} balance of {balance:,}"]
    return []
