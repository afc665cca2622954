"""Validating a `Debt`: objective checks that always run, then an adapter's policy rules.

Normalisation (E.164 phone, upper-case codes, compact IBAN, ISO state codes) happens here and
only here; the returned debt shows it. Every problem is collected before anything is raised.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs

from debtkit.conversion import structure
from debtkit.errors import ConfigurationError, Problem, ValidationError
from debtkit.model import Address, Debt, Debtor, DebtorKind
from debtkit.validation import rules

__all__ = ["CheckedDebt", "PolicyRule", "Validator", "load_debt", "validate_debt"]

T = TypeVar("T")


@runtime_checkable
class PolicyRule(Protocol):
    """A provider's documented rule, named so a caller can relax it (``getbill.civility``)."""

    @property
    def name(self) -> str: ...

    def check(self, debt: Debt) -> Iterable[Problem]: ...


@attrs.frozen
class CheckedDebt:
    """A debt after validation: normalised as far as possible, with every problem found."""

    debt: Debt
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _with(obj: T, **changes: object) -> T:
    """`attrs.evolve`, skipped when nothing changes (it is the validator's main cost)."""
    for name, value in changes.items():
        if getattr(obj, name) != value:
            return attrs.evolve(obj, **changes)  # type: ignore[misc]
    return obj


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def run(self, path: str, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except rules.RuleViolation as exc:
            self.problems.append(Problem(path, exc.code, exc.message))
            return None

    def add(self, path: str, code: str, message: str) -> None:
        self.problems.append(Problem(path, code, message))


class Validator:
    """Objective checks plus the given policy rules, minus the ones named in `relax`."""

    def __init__(
        self,
        rules: Sequence[PolicyRule] = (),
        *,
        relax: Collection[str] = (),
        default_region: str = "FR",
    ) -> None:
        known = {rule.name for rule in rules}
        unknown = set(relax) - known
        if unknown:
            raise ConfigurationError(
                f"cannot relax unknown rule(s) {sorted(unknown)}; "
                f"relaxable rules: {sorted(known) or 'none'} (objective checks never relax)"
            )
        self._rules = tuple(rule for rule in rules if rule.name not in relax)
        self._default_region = default_region.upper()

    def check(self, debt: Debt) -> CheckedDebt:
        found = _Collector()
        normalised = self._objective(debt, found)
        policy = [problem for rule in self._rules for problem in rule.check(normalised)]
        # A provider's rule says more precisely what is wrong with a field than the generic
        # check (GetBill's "069X mobiles unsupported" versus "invalid French number").
        specific = {problem.path for problem in policy}
        objective = [problem for problem in found.problems if problem.path not in specific]
        return CheckedDebt(normalised, (*objective, *policy))

    def validate(self, debt: Debt) -> Debt:
        checked = self.check(debt)
        if checked.problems:
            raise ValidationError(checked.problems)
        return checked.debt

    def _objective(self, debt: Debt, found: _Collector) -> Debt:
        if not debt.creditor_reference.strip():
            found.add("creditor_reference", "required", "must not be empty")
        currency = found.run("currency", lambda: rules.normalize_currency(debt.currency))
        found.run("amount", lambda: rules.check_amount(debt.amount, currency))
        if debt.invoice_date and debt.due_date:
            found.run(
                "due_date",
                lambda: rules.check_date_order(
                    debt.invoice_date,  # type: ignore[arg-type]
                    debt.due_date,  # type: ignore[arg-type]
                    "must not be before the invoice date",
                ),
            )
        iban = debt.iban and found.run("iban", lambda: rules.normalize_iban(debt.iban or ""))
        self._check_overdue(debt, found)
        for key, value in debt.metadata.items():
            found.run(f"metadata.{key}", lambda v=value: rules.check_json_value(v))  # type: ignore[misc]
        for provider, options in debt.options.items():
            found.run(f"options.{provider}", lambda o=options: rules.check_json_value(dict(o)))  # type: ignore[misc]
        return _with(
            debt,
            currency=currency or debt.currency,
            iban=iban or debt.iban,
            debtor=self._debtor(debt.debtor, found),
        )

    def _check_overdue(self, debt: Debt, found: _Collector) -> None:
        if debt.overdue is None:
            return
        age = debt.overdue
        buckets = [
            ("overdue.over_24_months", age.over_24_months),
            ("overdue.over_12_months", age.over_12_months),
            ("overdue.over_6_months", age.over_6_months),
            ("amount", debt.amount),
        ]
        present = [(path, value) for path, value in buckets if value is not None]
        for path, value in present[:-1]:
            if value < 0:
                found.add(path, "negative", "must not be negative")
        for (path, older), (bigger, total) in itertools.pairwise(present):
            if total is not None and older is not None and older > total:
                found.add(path, "age_order", f"must not exceed {bigger}")

    def _debtor(self, debtor: Debtor, found: _Collector) -> Debtor:
        if debtor.kind is DebtorKind.COMPANY and not (debtor.company_name or "").strip():
            found.add("debtor.company_name", "required", "a company debtor needs its name")
        if debtor.kind is DebtorKind.PERSON and not debtor.name:
            found.add("debtor.last_name", "required", "a person debtor needs a name")
        address, country = self._address(debtor.address, found)
        region = country or self._default_region
        phone = debtor.phone and found.run(
            "debtor.phone", lambda: rules.normalize_phone(debtor.phone or "", region).e164
        )
        email = debtor.email and found.run(
            "debtor.email", lambda: rules.check_email(debtor.email or "")
        )
        return _with(
            debtor,
            phone=phone or debtor.phone,
            email=email or debtor.email,
            address=address,
        )

    def _address(
        self, address: Address | None, found: _Collector
    ) -> tuple[Address | None, str | None]:
        """The normalised address and its resolved country, if it resolved."""
        if address is None:
            return None, None
        country = address.country and found.run(
            "debtor.address.country", lambda: rules.resolve_country(address.country or "")
        )
        state = address.state
        if state and country:
            resolved = rules.resolve_state(state, country)
            if resolved is None and country == "US":
                found.add("debtor.address.state", "unknown_state", "is not a US state")
            state = resolved or state
        return _with(address, country=country or address.country, state=state), country


def validate_debt(debt: Debt, rules: Sequence[PolicyRule] = (), **options: Any) -> Debt:
    """Validate and normalise `debt`, raising `ValidationError` with every problem."""
    return Validator(rules, **options).validate(debt)


def load_debt(data: object, rules: Sequence[PolicyRule] = (), **options: Any) -> Debt:
    """Structure untrusted data into a validated `Debt`; only `ValidationError` escapes."""
    return Validator(rules, **options).validate(structure(data, Debt))
