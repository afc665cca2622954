"""Debitura's documented case rules, checked locally before any request is spent.

Each rule is a `PolicyRule` named ``debitura.<rule>`` so a caller can relax it
(``connect(relax={"debitura.due_date"})``). They run on the normalised debt, after the core's
objective checks, and add only what Debitura requires beyond them. Already covered by the
core, so not repeated here: currency code, amount > 0 and its decimals, due date on or after
the invoice date, age buckets non-negative and ordered Over24 ≤ Over12 ≤ Over6 ≤ amount (the
model makes Over12/Over24 travel together and Over6 optional), a company's name, a person's
name, country and US state resolution.

Sources: the "Create a Case" page (required debtor fields, date rules, US state) and the
OpenAPI document's maxLength values, transcribed below (the document is never loaded at
runtime).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence

import attrs

from debtkit.errors import Problem
from debtkit.model import Debt, DebtorKind
from debtkit_debitura.options import OPTIONS_KEY, parse_options

__all__ = ["CREDITOR_REFERENCE_MAX", "TEXT_MAX", "Clock", "policy_rules", "utc_today"]

Clock = Callable[[], dt.date]

# CreateCollectionCaseRequestApiViewModel maxLength (OpenAPI document, v1, 2026-07-22).
CREDITOR_REFERENCE_MAX = 50
TEXT_MAX = {"description": 4000, "notes": 4000}  # claimDescription, comments


def utc_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


@attrs.frozen
class _Rule:
    name: str
    _check: Callable[[Debt], Iterator[Problem]]

    def check(self, debt: Debt) -> Iterable[Problem]:
        return list(self._check(debt))


def _debtor_name(debt: Debt) -> Iterator[Problem]:
    # Debitura wants a private debtor's full name; a person with no name at all is already
    # reported by the core, so only the missing half is reported here.
    debtor = debt.debtor
    if debtor.kind is not DebtorKind.PERSON:
        return
    first, last = (debtor.first_name or "").strip(), (debtor.last_name or "").strip()
    if first and not last:
        yield Problem("debtor.last_name", "required", "Debitura needs a person's full name")
    elif last and not first:
        yield Problem("debtor.first_name", "required", "Debitura needs a person's full name")


def _debtor_address(debt: Debt) -> Iterator[Problem]:
    address = debt.debtor.address
    if address is None or not ((address.street or "").strip() or (address.full or "").strip()):
        yield Problem("debtor.address.street", "required", "Debitura needs the street address")


def _debtor_city(debt: Debt) -> Iterator[Problem]:
    address = debt.debtor.address
    if address is None or not (address.city or "").strip():
        yield Problem("debtor.address.city", "required", "Debitura needs the city")


def _debtor_country(debt: Debt) -> Iterator[Problem]:
    address = debt.debtor.address
    if address is None or not (address.country or "").strip():
        yield Problem("debtor.address.country", "required", "Debitura needs the country")


def _us_state(debt: Debt) -> Iterator[Problem]:
    # The core reports a US state it cannot resolve; a missing one is Debitura's rule.
    address = debt.debtor.address
    if address is not None and address.country == "US" and not (address.state or "").strip():
        yield Problem("debtor.address.state", "required", "Debitura needs the state of a US debtor")


def _creditor_reference(debt: Debt) -> Iterator[Problem]:
    reference = debt.creditor_reference
    if len(reference) > CREDITOR_REFERENCE_MAX:
        yield Problem(
            "creditor_reference",
            "too_long",
            f"Debitura allows at most {CREDITOR_REFERENCE_MAX} characters",
        )
    if reference in {".", ".."}:
        # A URL path segment of dots is removed by URL normalisation: never retrievable.
        yield Problem("creditor_reference", "not_addressable", "cannot be looked up by URL")


def _text_lengths(debt: Debt) -> Iterator[Problem]:
    for field, limit in TEXT_MAX.items():
        value = getattr(debt, field)
        if value is not None and len(value) > limit:
            yield Problem(field, "too_long", f"Debitura allows at most {limit} characters")


def _options(debt: Debt) -> Iterator[Problem]:
    yield from parse_options(debt.options.get(OPTIONS_KEY))[1]


def _dates(today: Clock) -> tuple[_Rule, _Rule]:
    def invoice_date(debt: Debt) -> Iterator[Problem]:
        if debt.invoice_date is None:
            yield Problem("invoice_date", "required", "Debitura needs the invoice date")
        elif debt.invoice_date > today():
            yield Problem("invoice_date", "in_future", "must not be in the future")

    def due_date(debt: Debt) -> Iterator[Problem]:
        # On or after the invoice date is the core's check; "not in the future" (today is
        # accepted, as in the newer docs) is Debitura's.
        if debt.due_date is not None and debt.due_date > today():
            yield Problem("due_date", "in_future", "must not be in the future")

    return _Rule("debitura.invoice_date", invoice_date), _Rule("debitura.due_date", due_date)


def policy_rules(today: Clock | None = None) -> Sequence[_Rule]:
    """Every Debitura rule; `today` is the clock the date rules read (UTC today by default)."""
    return (
        _Rule("debitura.debtor_name", _debtor_name),
        _Rule("debitura.debtor_address", _debtor_address),
        _Rule("debitura.debtor_city", _debtor_city),
        _Rule("debitura.debtor_country", _debtor_country),
        _Rule("debitura.us_state", _us_state),
        *_dates(today or utc_today),
        _Rule("debitura.creditor_reference", _creditor_reference),
        _Rule("debitura.text_lengths", _text_lengths),
        _Rule("debitura.options", _options),
    )
