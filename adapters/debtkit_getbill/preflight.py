"""Before an import: does the company have the credits the import is expected to cost?

`credit_preflight` reads the balance (``GET /company/credits``, its own ``company:read``
token, see `debtkit_getbill.api`) and compares the credit estimate (`estimate_credits`) with
it. Over the balance it warns, or, with `strict`, raises `InsufficientCreditsError` before a
single debt is sent. A balance that cannot be read (no ``company:read`` scope, an outage) is
a warning; with `strict` it is a refusal too, since the import could not be checked.
``GetBillAdapter.preflight`` is the hook the CLI's ``import`` calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from debtkit import Debt, DebtkitError
from debtkit_getbill.options import PROVIDER

if TYPE_CHECKING:
    from debtkit_getbill.client import GetBillClient

__all__ = ["InsufficientCreditsError", "credit_preflight"]


class InsufficientCreditsError(DebtkitError):
    """The estimate exceeds the balance (or the balance could not be read) under `strict`."""

    def __init__(self, message: str, *, estimate: int, balance: Decimal | None) -> None:
        self.estimate = estimate
        self.balance = balance
        super().__init__(message)


async def credit_preflight(
    client: GetBillClient, debts: Iterable[Debt], *, strict: bool = False
) -> list[str]:
    """Lines for a person about the balance against the estimate; raises under `strict`."""
    estimate = client.estimate_credits(debts)
    needed = estimate.total
    try:
        balance = (await client.company.credits()).current_credits
    except DebtkitError as error:
        message = f"{PROVIDER} credit balance not read ({type(error).__name__}): {error}"
        if strict:
            raise InsufficientCreditsError(
                message + "; refusing to import unchecked", estimate=needed, balance=None
            ) from None
        return [f"warning: {message}; the estimate ({needed:,} credits) is unchecked"]
    extra = f" plus {len(estimate.unpriced)} unpriced call(s)" if estimate.unpriced else ""
    if needed > balance:
        message = (
            f"estimated {needed:,} credits{extra} exceed the {PROVIDER} balance of {balance:,}"
        )
        if strict:
            raise InsufficientCreditsError(message, estimate=needed, balance=balance)
        return [f"warning: {message}"]
    return [f"{PROVIDER} credit balance {balance:,} covers the estimate ({needed:,}{extra})"]
