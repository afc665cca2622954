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
from collections.abc import Callable, Iterable, Sequence

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
    _check: Callable[[Debt], Sequence[Problem]]

    def check(self, debt: Debt) -> Iterable[Problem]:
        return self._check(debt)


# The checks return sequences, not generators: they run on every debt of an import, and a
# generator costs more to make than most of them cost to run.
_NONE: tuple[Problem, ...] = ()


def _debtor_name(debt: Debt) -> Sequence[Problem]:
    # Debitura wants a private debtor's full name; a person with no name at all is already
    # reported by the core, so only the missing half is reported here.
    debtor = debt.debtor
    if debtor.kind is not DebtorKind.PERSON:
        return _NONE
    first, last = (debtor.first_name or "").strip(), (debtor.last_name or "").strip()
    if first and not last:
        return (Problem("debtor.last_name", "required", "Debitura needs a person's full name"),)
    if last and not first:
        return (Problem("debtor.first_name", "required", "Debitura needs a person's full name"),)
    return _NONE


def _debtor_address(debt: Debt) -> Sequence[Problem]:
    address = debt.debtor.address
    if address is None or not ((address.street or "").strip() or (address.full or "").strip()):
        return (Problem("debtor.address.street", "required", "Debitura needs the street address"),)
    return _NONE


def _debtor_city(debt: Debt) -> Sequence[Problem]:
    address = debt.debtor.address
    if address is None or not (address.city or "").strip():
        return (Problem("debtor.address.city", "required", "Debitura needs the city"),)
    return _NONE


def _debtor_country(debt: Debt) -> Sequence[Problem]:
    address = debt.debtor.address
    if address is None or not (address.country or "").strip():
        return (Problem("debtor.address.country", "required", "Debitura needs the country"),)
    return _NONE


def _us_state(debt: Debt) -> Sequence[Problem]:
    # The core reports a US state it cannot resolve; a missing one is Debitura's rule.
    address = debt.debtor.address
    if address is not None and address.country == "US" and not (address.state or "").strip():
        message = "Debitura needs the state of a US debtor"
        return (Problem("debtor.address.state", "required", message),)
    return _NONE


def _creditor_reference(debt: Debt) -> Sequence[Problem]:
    reference = debt.creditor_reference
    if len(reference) <= CREDITOR_REFERENCE_MAX and reference not in {".", ".."}:
        return _NONE
    problems = []
    if len(reference) > CREDITOR_REFERENCE_MAX:
        problems.append(
            Problem(
                "creditor_reference",
                "too_long",
                f"Debitura allows at most {CREDITOR_REFERENCE_MAX} characters",
            )
        )
    if reference in {".", ".."}:
        # A URL path segment of dots is removed by URL normalisation: never retrievable.
        problems.append(
            Problem("creditor_reference", "not_addressable", "cannot be looked up by URL")
        )
    return problems


def _text_lengths(debt: Debt) -> Sequence[Problem]:
    return [
        Problem(field, "too_long", f"Debitura allows at most {limit} characters")
        for field, limit in TEXT_MAX.items()
        if (value := getattr(debt, field)) is not None and len(value) > limit
    ]


def _options(debt: Debt) -> Sequence[Problem]:
    options = debt.options.get(OPTIONS_KEY)
    return _NONE if options is None else parse_options(options)[1]


def _dates(today: Clock) -> tuple[_Rule, _Rule]:
    def invoice_date(debt: Debt) -> Sequence[Problem]:
        if debt.invoice_date is None:
            return (Problem("invoice_date", "required", "Debitura needs the invoice date"),)
        if debt.invoice_date > today():
            return (Problem("invoice_date", "in_future", "must not be in the future"),)
        return _NONE

    def due_date(debt: Debt) -> Sequence[Problem]:
        # On or after the invoice date is the core's check; "not in the future" (today is
        # accepted, as in the newer docs) is Debitura's.
        if debt.due_date is not None and debt.due_date > today():
            return (Problem("due_date", "in_future", "must not be in the future"),)
        return _NONE

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
