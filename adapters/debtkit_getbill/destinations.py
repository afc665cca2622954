"""What an AI call costs per phone destination, from GetBill's create-debt page.

| Destination        | Credits per call | Multiplier |
|--------------------|------------------|------------|
| France (mainland)  | 25               | 1.0x       |
| EU countries       | 30               | 1.2x       |
| DOM-TOM            | 100              | 4.0x       |
| Maghreb (MA/DZ/TN) | 125              | 5.0x       |

The docs name DOM-TOM by example ("Réunion, Guadeloupe, Martinique, French Guiana, Mayotte,
New Caledonia, French Polynesia, etc."); the "etc." is read as every inhabited French overseas
territory with its own phone region. "EU countries" is read as the EU member states other than
France. Every other country is *unpriced*: the docs give no cost, so debtkit neither refuses it
nor guesses a price (the credit estimate lists it separately).

An *expensive* destination is refused by GetBill with a 422 unless the debt carries
``accept_expensive_destination: true``. The page names the expensive destinations: "DOM-TOM,
Maghreb, etc.", with 100 and 125 credits as its examples, and lists the EU at 30 credits in the
price table only. Refusing locally what GetBill would accept blocks a user's work, so debtkit
and its simulator read it as documented: DOM-TOM and the Maghreb need the opt-in; EU numbers
do not, and their 30 credits appear in the credit estimate instead.
"""

from __future__ import annotations

import functools
from decimal import Decimal

import attrs
import pycountry

from debtkit.validation import RuleViolation, rules

__all__ = [
    "DOM_TOM",
    "EU_MEMBERS",
    "EXPENSIVE_TIERS",
    "FRANCE_CREDITS",
    "MAGHREB",
    "Destination",
    "destination_for",
    "phone_destination",
]

FRANCE_CREDITS = 25

DOM_TOM = frozenset({"RE", "GP", "MQ", "GF", "YT", "NC", "PF", "PM", "BL", "MF", "WF"})
MAGHREB = frozenset({"MA", "DZ", "TN"})
EU_MEMBERS = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip

EXPENSIVE_TIERS = frozenset({"dom_tom", "maghreb"})  # the page's named expensive destinations

# tier -> (credits per call, multiplier)
_TIERS = {
    "france": (FRANCE_CREDITS, Decimal("1.0")),
    "eu": (30, Decimal("1.2")),
    "dom_tom": (100, Decimal("4.0")),
    "maghreb": (125, Decimal("5.0")),
}


@attrs.frozen
class Destination:
    """A priced phone destination: ISO 3166-1 alpha-2 region, display name, tier and cost."""

    country_code: str
    name: str
    tier: str  # "france", "eu", "dom_tom" or "maghreb"
    credits: int  # per AI call
    multiplier: Decimal

    @property
    def expensive(self) -> bool:
        """DOM-TOM or the Maghreb: GetBill wants ``accept_expensive_destination``."""
        return self.tier in EXPENSIVE_TIERS


def _tier(region: str) -> str | None:
    if region == "FR":
        return "france"
    if region in DOM_TOM:
        return "dom_tom"
    if region in MAGHREB:
        return "maghreb"
    if region in EU_MEMBERS:
        return "eu"
    return None


def _name(region: str) -> str:
    if region == "FR":
        return "France (mainland)"
    country = pycountry.countries.get(alpha_2=region)
    return str(country.name) if country is not None else region


@functools.lru_cache(maxsize=256)  # asked for every debt's phone; a few dozen regions exist
def destination_for(region: str | None) -> Destination | None:
    """The priced destination of a phone region, or None when the docs give no price."""
    if not region:
        return None
    code = region.upper()
    tier = _tier(code)
    if tier is None:
        return None
    credits, multiplier = _TIERS[tier]
    return Destination(code, _name(code), tier, credits, multiplier)


def phone_destination(
    phone: str, default_region: str = "FR"
) -> tuple[str | None, Destination | None]:
    """The region of a phone number and its priced destination.

    National numbers are read in `default_region` (a code or an English country name).
    ``(None, None)`` when the number is not valid; ``(region, None)`` when it is valid but
    its country is unpriced.
    """
    try:
        region = rules.resolve_country(default_region)
    except RuleViolation:
        region = "FR"
    try:
        parsed = rules.normalize_phone(phone, region)
    except RuleViolation:
        return None, None
    return parsed.region, destination_for(parsed.region)
