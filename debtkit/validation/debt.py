"""Validating a `Debt`: objective checks that always run, then an adapter's policy rules.

Normalisation (E.164 phone, upper-case codes, compact IBAN, ISO state codes) happens here and
only here; the returned debt shows it. Every problem is collected before anything is raised.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs

from debtkit.conversion import structure
from debtkit.errors import ConfigurationError, Problem, ValidationError
from debtkit.model import Address, AgeBreakdown, Debt, Debtor, DebtorKind
from debtkit.validation import rules
from debtkit.validation.type_predicates import is_well_typed
from debtkit.validation.types import type_problems

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
    """A debt after validation: normalised as far as possible, with every problem found.

    `Validator.check` stamps what it returns with a token of that validator, so that the same
    validator (a client's `create` and `create_batch`) can take it without checking it again,
    while a `CheckedDebt` built by hand, or by another validator (other rules, other relaxed
    names), is checked afresh: only the stamp makes a check count. The stamp holds the very
    debt and problems it vouches for, so an `attrs.evolve` that changes either voids it.
    """

    debt: Debt
    problems: tuple[Problem, ...]
    _stamp: tuple[object, Debt, tuple[Problem, ...]] | None = attrs.field(
        default=None, repr=False, eq=False, alias="_stamp"
    )

    @property
    def ok(self) -> bool:
        return not self.problems

    def _checked_by(self, token: object) -> bool:
        stamp = self._stamp
        return (
            stamp is not None
            and stamp[0] is token
            and stamp[1] is self.debt
            and stamp[2] is self.problems
        )


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def run(self, path: str, check: Callable[..., T], *args: Any) -> T | None:
        # Arguments, not closures: this runs several times per debt on bulk imports.
        try:
            return check(*args)
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
        if not isinstance(default_region, str) or not default_region.isascii():
            raise ConfigurationError("default_region must be an ISO 3166-1 alpha-2 code")
        if isinstance(relax, str) or not _all_instances(relax, str):
            raise ConfigurationError("relax must be a collection of rule names")
        if not _all_instances(rules, PolicyRule):
            raise ConfigurationError("rules must be policy rules (a name and a check method)")
        known = {rule.name for rule in rules}
        unknown = set(relax) - known
        if unknown:
            raise ConfigurationError(
                f"cannot relax unknown rule(s) {sorted(unknown)}; "
                f"relaxable rules: {sorted(known) or 'none'} (objective checks never relax)"
            )
        self._rules = tuple(rule.check for rule in rules if rule.name not in relax)
        self._default_region = default_region.upper()
        self._stamp = object()  # marks what this validator checked (see `CheckedDebt`)
        self._well_typed = is_well_typed(Debt)

    def check(self, debt: Debt | CheckedDebt) -> CheckedDebt:
        """`debt` normalised, with every problem; a `CheckedDebt` this validator returned is
        returned as it is, any other is checked afresh from its debt."""
        if isinstance(debt, CheckedDebt):
            if debt._checked_by(self._stamp):
                return debt
            debt = debt.debt
        if not self._well_typed(debt):
            # The rules assume the annotated types; a debt built in code with a float amount
            # or a dict for its debtor is reported by field path and goes no further.
            return self._stamped(debt, tuple(type_problems(debt)))
        found = _Collector()
        normalised = self._objective(debt, found)
        policy = [problem for check in self._rules for problem in check(normalised)]
        if not policy:
            return self._stamped(normalised, tuple(found.problems))
        # A provider's rule says more precisely what is wrong with a field than the generic
        # check (GetBill's "069X mobiles unsupported" versus "invalid French number").
        specific = {problem.path for problem in policy}
        objective = [problem for problem in found.problems if problem.path not in specific]
        return self._stamped(normalised, (*objective, *policy))

    def _stamped(self, debt: Debt, problems: tuple[Problem, ...]) -> CheckedDebt:
        return CheckedDebt(debt, problems, (self._stamp, debt, problems))

    def validate(self, debt: Debt | CheckedDebt) -> Debt:
        """The normalised debt, or `ValidationError` with every problem (see `check`)."""
        checked = self.check(debt)
        if checked.problems:
            raise ValidationError(checked.problems)
        return checked.debt

    # The objective checks run on every debt of an import: the common case (a valid value)
    # takes the shortest path, and a path string is built only for a problem.
    def _objective(self, debt: Debt, found: _Collector) -> Debt:
        if not debt.creditor_reference.strip():
            found.add("creditor_reference", "required", "must not be empty")
        currency = found.run("currency", rules.normalize_currency, debt.currency)
        found.run("amount", rules.check_amount, debt.amount, currency)
        if debt.invoice_date and debt.due_date and debt.due_date < debt.invoice_date:
            found.add("due_date", "date_order", "must not be before the invoice date")
        iban = debt.iban and found.run("iban", rules.normalize_iban, debt.iban)
        if debt.overdue is not None:
            self._check_overdue(debt.overdue, debt.amount, found)
        if not rules.is_flat_json(debt.metadata):
            for key, value in debt.metadata.items():
                problem = rules.json_problem(value)
                if problem is not None:
                    found.add(f"metadata.{key}", *problem)
        for provider, options in debt.options.items():
            if rules.is_flat_json(options):
                continue
            problem = rules.json_problem(options if type(options) is dict else dict(options))
            if problem is not None:
                found.add(f"options.{provider}", *problem)
        currency = currency or debt.currency
        iban = iban or debt.iban
        debtor = self._debtor(debt.debtor, found)
        # attrs.evolve costs more than all the checks above: only pay it for a change.
        if currency == debt.currency and iban == debt.iban and debtor is debt.debtor:
            return debt
        return attrs.evolve(debt, currency=currency, iban=iban, debtor=debtor)

    @staticmethod
    def _check_overdue(age: AgeBreakdown, amount: Decimal, found: _Collector) -> None:
        buckets = [
            ("overdue.over_24_months", age.over_24_months),
            ("overdue.over_12_months", age.over_12_months),
            ("overdue.over_6_months", age.over_6_months),
            ("amount", amount),
        ]
        for path, value in buckets[:-1]:  # the amount's own checks report under "amount"
            if value is not None and not value.is_finite():
                found.add(path, "not_finite", "must be a finite number")
            elif value is not None and value < 0:
                found.add(path, "negative", "must not be negative")
        present = [
            (path, value) for path, value in buckets if value is not None and value.is_finite()
        ]
        for (path, older), (bigger, total) in itertools.pairwise(present):
            if older > total:
                found.add(path, "age_order", f"must not exceed {bigger}")

    def _debtor(self, debtor: Debtor, found: _Collector) -> Debtor:
        if debtor.kind is DebtorKind.COMPANY and not (debtor.company_name or "").strip():
            found.add("debtor.company_name", "required", "a company debtor needs its name")
        if debtor.kind is DebtorKind.PERSON and not (debtor.first_name or debtor.last_name):
            found.add("debtor.last_name", "required", "a person debtor needs a name")
        address, country = self._address(debtor.address, found)
        phone = debtor.phone
        if phone:
            parsed = found.run(
                "debtor.phone", rules.normalize_phone, phone, country or self._default_region
            )
            phone = parsed.e164 if parsed is not None else phone
        email = debtor.email and (
            found.run("debtor.email", rules.check_email, debtor.email) or debtor.email
        )
        if phone == debtor.phone and email == debtor.email and address is debtor.address:
            return debtor
        return attrs.evolve(debtor, phone=phone, email=email, address=address)

    @staticmethod
    def _address(address: Address | None, found: _Collector) -> tuple[Address | None, str | None]:
        """The normalised address and its resolved country, if it resolved."""
        if address is None:
            return None, None
        country = address.country and found.run(
            "debtor.address.country", rules.resolve_country, address.country
        )
        state = address.state
        if state and country:
            resolved = rules.resolve_state(state, country)
            if resolved is None and country == "US":
                found.add("debtor.address.state", "unknown_state", "is not a US state")
            state = resolved or state
        if state == address.state and (not country or country == address.country):
            return address, country
        return attrs.evolve(address, country=country or address.country, state=state), country


def _all_instances(values: Any, kind: type) -> bool:
    try:
        return all(isinstance(value, kind) for value in values)
    except TypeError:  # not iterable
        return False


def validate_debt(
    debt: Debt,
    rules: Sequence[PolicyRule] = (),
    *,
    relax: Collection[str] = (),
    default_region: str = "FR",
) -> Debt:
    """Validate and normalise `debt`, raising `ValidationError` with every problem."""
    return Validator(rules, relax=relax, default_region=default_region).validate(debt)


def load_debt(
    data: object,
    rules: Sequence[PolicyRule] = (),
    *,
    relax: Collection[str] = (),
    default_region: str = "FR",
) -> Debt:
    """Structure untrusted data into a validated `Debt`. Only debtkit errors escape:
    `ValidationError` for anything wrong with `data`, `ConfigurationError` for the options."""
    validator = Validator(rules, relax=relax, default_region=default_region)
    return validator.validate(structure(data, Debt))
