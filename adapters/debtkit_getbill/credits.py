"""How many GetBill credits a set of debts is expected to cost, before sending any.

Per debt with a phone: one AI call at its destination's price (France 25, EU 30, DOM-TOM
100, Maghreb 125). Countries the docs do not price are listed in `unpriced`, never guessed.
Debts without a valid phone make no call and are listed in `without_phone`.

Two optional features are charged per import and included as upper bounds: civility
completion (default on) costs 1 credit per 100 debts that lack a civility, rounded up;
email validation (default off) costs 1 credit per 5 billable results, rounded up here
(GetBill's rounding is not documented). Both follow the debt's ``options.getbill`` switches.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

import attrs

from debtkit import Debt
from debtkit.validation import require_types
from debtkit_getbill.destinations import phone_destination
from debtkit_getbill.options import GetBillOptions

__all__ = ["CreditEstimate", "estimate_credits"]


@attrs.frozen
class CreditEstimate:
    call_credits: int  # one AI call per priced debt
    debts_by_tier: Mapping[str, int]  # "france", "eu", "dom_tom", "maghreb" -> debts
    unpriced: tuple[int, ...]  # indexes of debts whose phone country has no documented price
    without_phone: tuple[int, ...]  # indexes of debts with no valid phone: no call
    civility_detection_credits: int = 0
    email_validation_credits: int = 0

    @property
    def total(self) -> int:
        """Known credits; `unpriced` debts come on top at a price the docs do not give."""
        return self.call_credits + self.civility_detection_credits + self.email_validation_credits


def estimate_credits(debts: Iterable[Debt], *, default_region: str = "FR") -> CreditEstimate:
    """Estimate the credits of one AI call per debt plus the per-import feature charges.

    National numbers are read in the debt's address country, else `default_region`.
    `ValidationError` if a debt does not hold the model's types (a float amount, an int phone).
    """
    tiers: Counter[str] = Counter()
    call_credits = 0
    unpriced: list[int] = []
    without_phone: list[int] = []
    need_civility = validate_email = 0
    for index, debt in enumerate(debts):
        require_types(debt)
        debtor = debt.debtor
        options = GetBillOptions.lenient(debt)
        if not debtor.civility and options.civility_completion is not False:
            need_civility += 1
        if debtor.email and options.email_validation:
            validate_email += 1
        address = debtor.address
        region = (address.country if address else None) or default_region
        found, destination = (
            phone_destination(debtor.phone, region) if debtor.phone else (None, None)
        )
        if found is None:
            without_phone.append(index)
        elif destination is None:
            unpriced.append(index)
        else:
            tiers[destination.tier] += 1
            call_credits += destination.credits
    return CreditEstimate(
        call_credits=call_credits,
        debts_by_tier=dict(tiers),
        unpriced=tuple(unpriced),
        without_phone=tuple(without_phone),
        civility_detection_credits=math.ceil(need_civility / 100),
        email_validation_credits=math.ceil(validate_email / 5),
    )
