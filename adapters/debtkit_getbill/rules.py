"""GetBill's documented rules, checked locally so a refused debt never spends a write.

Each rule is a `debtkit.validation.PolicyRule` that runs after the core's objective checks
(phone validity and E.164, email syntax, IBAN, currency, amount > 0, due date not before invoice
date), on the normalised debt, and can be relaxed by name (``connect(relax=[...])``). None of
them repeats an objective check.

- ``getbill.names``: first and last name non-empty. A company debtor is sent with its contact
  person's names (GetBill requires a person to call), so a company without them is refused.
- ``getbill.contact``: a phone or an email (validity is the objective checks' job), and no
  French overseas mobile written nationally (``069X...``) when the number is read as French
  (the debtor's country, else the default region): the create page says they are not
  supported. Written internationally (``+262 692...``) they are accepted and priced as
  DOM-TOM. A ``069...`` number read in another country is that country's number, valid or
  not (the objective phone check reports it), never a French overseas mobile.
- ``getbill.due_date``: GetBill says the due date "should be after" the invoice date; the
  safe reading is *strictly* after, so an equal date is refused (an earlier one is already an
  objective problem).
- ``getbill.civility``: ``Mr`` or ``Ms`` exactly.
- ``getbill.expensive_destination``: a phone in one of the expensive destinations the page
  names (DOM-TOM 100, Maghreb 125 credits per AI call) needs
  ``options.getbill.accept_expensive_destination``; the problem names the destination and
  its cost, the information GetBill's 422 gives. EU numbers (30 credits) are priced, not
  refused: the credit estimate reports them.
- ``getbill.options``: ``options.getbill`` holds only known options of the right type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from debtkit import Debt, DebtorKind, Problem
from debtkit_getbill.destinations import FRANCE_CREDITS, Destination, phone_destination
from debtkit_getbill.options import PROVIDER, GetBillOptions, options_problems

__all__ = [
    "CIVILITIES",
    "OVERSEAS_MOBILE",
    "CivilityRule",
    "ContactRule",
    "DueDateRule",
    "ExpensiveDestinationRule",
    "NamesRule",
    "OptionsRule",
    "expensive_destination_message",
    "is_national_overseas_mobile",
    "policy_rules",
]

CIVILITIES = ("Mr", "Ms")
OVERSEAS_MOBILE = "overseas_mobile"  # problem code of the 069X rule

# 069X in French national form, or what GetBill makes of it (+33 69X...).
_NATIONAL_069X = re.compile(r"(?:0|\+33|0033)69\d{7}")
_SEPARATORS = re.compile(r"[\s.\-()/]")


def is_national_overseas_mobile(phone: str) -> bool:
    # A normalised phone is E.164 already: nothing to strip.
    plain = phone.lstrip("+").isdigit()
    digits = phone if plain else _SEPARATORS.sub("", phone)
    return bool(_NATIONAL_069X.fullmatch(digits))


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


@attrs.frozen
class NamesRule:
    name: str = "getbill.names"

    # The checks return lists, not generators: they run on every debt of an import, and a
    # generator costs more to make than most of them cost to run.
    def check(self, debt: Debt) -> Iterable[Problem]:
        debtor = debt.debtor
        problems = []
        if debtor.kind is DebtorKind.COMPANY:
            contact = debtor.contact_person
            need = "GetBill needs the company's contact person"
            if contact is None or _blank(contact.first_name):
                problems.append(
                    Problem("debtor.contact_person.first_name", "required", f"{need}'s first name")
                )
            if contact is None or _blank(contact.last_name):
                problems.append(
                    Problem("debtor.contact_person.last_name", "required", f"{need}'s last name")
                )
            return problems
        if _blank(debtor.first_name):
            problems.append(Problem("debtor.first_name", "required", "GetBill needs a first name"))
        if _blank(debtor.last_name):
            problems.append(Problem("debtor.last_name", "required", "GetBill needs a last name"))
        return problems


def _written_nationally(phone: str) -> bool:
    digits = _SEPARATORS.sub("", phone)
    return digits.startswith("0") and not digits.startswith("00")


def _phone_region(debt: Debt, default_region: str) -> str:
    """Where a national number is read: the debtor's country, else the default region."""
    address = debt.debtor.address
    return ((address.country if address else None) or default_region).upper()


@attrs.frozen
class ContactRule:
    name: str = "getbill.contact"
    default_region: str = "FR"

    def check(self, debt: Debt) -> Iterable[Problem]:
        debtor = debt.debtor
        problems = []
        if _blank(debtor.phone) and _blank(debtor.email):
            problems.append(
                Problem("debtor", "contact_required", "GetBill needs a phone or an email")
            )
        if (
            debtor.phone
            and is_national_overseas_mobile(debtor.phone)
            and (
                not _written_nationally(debtor.phone)
                or _phone_region(debt, self.default_region) == "FR"
            )
        ):
            problems.append(
                Problem(
                    "debtor.phone",
                    OVERSEAS_MOBILE,
                    "GetBill does not support French overseas mobiles written as 069X...; give "
                    "the number with its territory's code (+262, +590, +594, +596...)",
                )
            )
        return problems


@attrs.frozen
class DueDateRule:
    name: str = "getbill.due_date"

    def check(self, debt: Debt) -> Iterable[Problem]:
        if debt.invoice_date and debt.due_date and debt.due_date == debt.invoice_date:
            return [Problem("due_date", "date_order", "GetBill needs it after the invoice date")]
        return ()


@attrs.frozen
class CivilityRule:
    name: str = "getbill.civility"

    def check(self, debt: Debt) -> Iterable[Problem]:
        civility = debt.debtor.civility
        if civility is not None and civility not in CIVILITIES:
            return [Problem("debtor.civility", "choice", "GetBill accepts only Mr or Ms")]
        return ()


def expensive_destination_message(destination: Destination) -> str:
    return (
        f"calls to {destination.name} ({destination.country_code}) cost "
        f"{destination.credits} credits per AI call, {destination.multiplier}x France's "
        f"{FRANCE_CREDITS}; set options.{PROVIDER}.accept_expensive_destination to accept"
    )


@attrs.frozen
class ExpensiveDestinationRule:
    name: str = "getbill.expensive_destination"
    default_region: str = "FR"

    def check(self, debt: Debt) -> Iterable[Problem]:
        phone = debt.debtor.phone
        if not phone:
            return ()
        _, destination = phone_destination(phone, _phone_region(debt, self.default_region))
        # The options are read only for the few destinations that need the opt-in.
        if (
            destination is None
            or not destination.expensive
            or GetBillOptions.lenient(debt).accept_expensive_destination
        ):
            return ()
        message = expensive_destination_message(destination)
        return [Problem("debtor.phone", "expensive_destination", message)]


@attrs.frozen
class OptionsRule:
    name: str = "getbill.options"

    def check(self, debt: Debt) -> Iterable[Problem]:
        return options_problems(debt)


def policy_rules() -> tuple[
    NamesRule, ContactRule, DueDateRule, CivilityRule, ExpensiveDestinationRule, OptionsRule
]:
    return (
        NamesRule(),
        ContactRule(),
        DueDateRule(),
        CivilityRule(),
        ExpensiveDestinationRule(),
        OptionsRule(),
    )
