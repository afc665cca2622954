"""Realistic sample debts, reproducible from a seed, for the demo, benchmarks and tests.

Debtors live in France, Germany, Spain, Belgium, the US, Morocco and overseas France, with
phone numbers, IBANs and addresses that pass the objective checks. `broken` marks a share of
them invalid on purpose, each with one well-known mistake.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Iterator
from decimal import Decimal

import attrs
import phonenumbers
import schwifty

from debtkit.model import Address, AgeBreakdown, ContactPerson, Debt, Debtor, DebtorKind

__all__ = ["sample_debts"]

_PLACES: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    # country: (city, postal code, state)
    "FR": (
        ("Paris", "75011", None),
        ("Lyon", "69003", None),
        ("Marseille", "13008", None),
        ("Toulouse", "31000", None),
        ("Nantes", "44000", None),
        ("Lille", "59000", None),
    ),
    "DE": (
        ("Berlin", "10115", None),
        ("Hamburg", "20095", None),
        ("München", "80331", None),
        ("Köln", "50667", None),
    ),
    "ES": (("Madrid", "28013", None), ("Barcelona", "08002", None), ("Valencia", "46001", None)),
    "BE": (("Bruxelles", "1000", None), ("Antwerpen", "2000", None), ("Liège", "4000", None)),
    "US": (
        ("Los Angeles", "90012", "California"),
        ("New York", "10001", "NY"),
        ("Austin", "78701", "US-TX"),
        ("Miami", "33101", "Florida"),
    ),
    "MA": (("Casablanca", "20000", None), ("Rabat", "10000", None), ("Marrakech", "40000", None)),
    "RE": (("Saint-Denis", "97400", None), ("Saint-Pierre", "97410", None)),
    "GP": (("Pointe-à-Pitre", "97110", None),),
    "MQ": (("Fort-de-France", "97200", None),),
}
_WEIGHTS = {"FR": 40, "DE": 12, "ES": 10, "BE": 8, "US": 12, "MA": 8, "RE": 5, "GP": 3, "MQ": 2}
_FIRST = (
    "Camille",
    "Lucas",
    "Emma",
    "Hugo",
    "Lena",
    "Jonas",
    "Lucía",
    "Mateo",
    "Noor",
    "Youssef",
    "Amina",
    "Olivia",
    "James",
    "Chloé",
    "Thomas",
    "Sofia",
    "Inès",
    "Karim",
    "Marie",
    "Paul",
)
_LAST = (
    "Martin",
    "Bernard",
    "Müller",
    "Schmidt",
    "García",
    "López",
    "Peeters",
    "Janssens",
    "Smith",
    "Johnson",
    "El Idrissi",
    "Benali",
    "Payet",
    "Hoarau",
    "Dubois",
    "Lefèvre",
)
_COMPANIES = (
    "Atelier",
    "Transports",
    "Boulangerie",
    "Logistik",
    "Construcciones",
    "Consulting",
    "Distribution",
    "Imprimerie",
    "Software",
    "Garage",
)
_STREETS = (
    "rue de la République",
    "Hauptstraße",
    "Calle Mayor",
    "Main Street",
    "avenue Louise",
    "boulevard Mohammed V",
    "rue du Général de Gaulle",
    "chemin des Lilas",
)
_CURRENCY = {"US": "USD", "MA": "MAD"}
_SERVICES = (
    "Website maintenance",
    "Consulting services",
    "Office supplies",
    "Freight transport",
    "Annual software licence",
    "Catering",
    "Equipment rental",
    "Printing",
)


def _phone(rng: random.Random, region: str) -> str:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None, f"phonenumbers has no example mobile for {region}"
    national = str(example.national_number)
    for _ in range(50):
        digits = national[:3] + "".join(rng.choice("0123456789") for _ in national[3:])
        candidate = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return folded.lower().replace(" ", "")


def _iban(rng: random.Random, country: str) -> str | None:
    # country: (bank code, branch code, account digits)
    banks = {
        "FR": ("30006", "00001", 11),
        "DE": ("37040044", "", 10),
        "ES": ("2100", "0418", 10),
        "BE": ("539", "", 7),
    }
    if country not in banks:
        return None
    bank, branch, size = banks[country]
    account = "".join(rng.choice("0123456789") for _ in range(size))
    iban = schwifty.IBAN.generate(country, bank_code=bank, branch_code=branch, account_code=account)
    return str(iban.compact)


def _break(debt: Debt, rng: random.Random) -> Debt:
    mistake = rng.randrange(5)
    if mistake == 0:
        return attrs.evolve(debt, iban="FR1420041010050500013M02607")  # bad checksum
    if mistake == 1:
        return attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, phone="0690123456", email=None))
    if mistake == 2:
        return attrs.evolve(debt, amount=-debt.amount)
    if mistake == 3:
        return attrs.evolve(
            debt, due_date=(debt.invoice_date or dt.date(2025, 1, 1)) - dt.timedelta(days=3)
        )
    return attrs.evolve(debt, currency="EUX")


def sample_debts(
    count: int, *, seed: int = 7, broken: float = 0.01, prefix: str = "INV"
) -> Iterator[Debt]:
    """`count` debts; about `broken` of them carry one deliberate mistake."""
    rng = random.Random(seed)
    countries = list(_WEIGHTS)
    weights = [_WEIGHTS[c] for c in countries]
    for index in range(count):
        country = rng.choices(countries, weights)[0]
        city, postal, state = rng.choice(_PLACES[country])
        company = rng.random() < 0.35
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        invoice = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 540))
        due = invoice + dt.timedelta(days=rng.choice((15, 30, 45, 60)))
        amount = Decimal(rng.randrange(2_500, 950_000)) / 100
        currency = _CURRENCY.get(country, "EUR")
        debtor = Debtor(
            kind=DebtorKind.COMPANY if company else DebtorKind.PERSON,
            first_name=None if company else first,
            last_name=None if company else last,
            company_name=f"{rng.choice(_COMPANIES)} {last}" if company else None,
            civility=None if company else rng.choice(("Mr", "Ms")),
            email=_ascii(f"{first}.{last}{index}@example.com"),
            phone=_phone(rng, country),
            registration_number=f"RN{rng.randrange(10**8, 10**9)}" if company else None,
            contact_person=ContactPerson(first, last) if company else None,
            reference=f"CUST-{rng.randrange(10**5, 10**6)}",
            address=Address(
                street=rng.choice(_STREETS),
                number=str(rng.randrange(1, 200)),
                postal_code=postal,
                city=city,
                state=state,
                country=country,
            ),
        )
        overdue = None
        if rng.random() < 0.1:
            over_12 = (amount * Decimal("0.4")).quantize(Decimal("0.01"))
            overdue = AgeBreakdown(over_12, (over_12 / 2).quantize(Decimal("0.01")), amount / 2)
        # Calls abroad cost GetBill credits beyond France's; a few debtors lack the opt-in.
        options = (
            {"getbill": {"accept_expensive_destination": True}}
            if country != "FR" and rng.random() < 0.99
            else {}
        )
        debt = Debt(
            creditor_reference=f"{prefix}-{seed}-{index:07d}",
            debtor=debtor,
            amount=amount,
            currency=currency,
            invoice_date=invoice,
            due_date=due,
            description=rng.choice(_SERVICES),
            invoice_reference=f"F{invoice:%Y}-{index:06d}",
            iban=_iban(rng, country),
            overdue=overdue,
            metadata={"crm_id": f"crm-{index}", "segment": "b2b" if company else "b2c"},
            options=options,
        )
        yield _break(debt, rng) if rng.random() < broken else debt
