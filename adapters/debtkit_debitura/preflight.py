"""Before an import: would Debitura take these debts at all? ``client.preflight(debts)``.

Debts are grouped by what decides coverage (debtor country, US state, debtor type, currency)
and ``POST /coverage/check-eligibility`` is asked once per group, so 100,000 debts cost a
handful of requests. Each group is checked with its smallest amount: partner conditions are
thresholds ("B2C cases ≥ €1000"), so the smallest amount is the one least likely covered and
a group reported as covered is covered for all its debts. Debts that fail local validation are
left to the import, which reports them. Findings name countries and counts only, never a
debtor. The CLI calls `preflight` on any client that has one (``debtkit import --preflight``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from decimal import Decimal

import attrs

from debtkit.errors import APIStatusError, ValidationError
from debtkit.model import Debt
from debtkit_debitura.coverage import Coverage
from debtkit_debitura.mapping import _debtor

__all__ = ["CoverageGroup", "PreflightFinding", "coverage_groups", "preflight"]

logger = logging.getLogger("debtkit.debitura.preflight")


@attrs.frozen
class CoverageGroup:
    country: str
    state: str | None
    debtor_type: str
    currency: str
    debts: int
    smallest_amount: Decimal


@attrs.frozen
class PreflightFinding:
    """One thing that would make debts of an import fail; `str()` is the operator's line."""

    group: CoverageGroup
    reason: str
    blocking: bool = True

    def __str__(self) -> str:
        g = self.group
        where = f"{g.country}-{g.state}" if g.state else g.country
        return (
            f"debitura: no partner covers {g.debts} debtor(s) in {where} "
            f"({g.debtor_type}, {g.currency}): {self.reason}"
        )


def coverage_groups(
    debts: Iterable[Debt], validated: Callable[[Debt], Debt]
) -> list[CoverageGroup]:
    groups: dict[tuple[str, str | None, str, str], tuple[int, Decimal]] = {}
    for debt in debts:
        try:
            normalised = validated(debt)
        except ValidationError:
            continue
        payload = _debtor(normalised.debtor)
        key = (payload.country_alpha2 or "", payload.state_alpha2, payload.type, debt.currency)
        count, smallest = groups.get(key, (0, normalised.amount))
        groups[key] = (count + 1, min(smallest, normalised.amount))
    return [
        CoverageGroup(country, state, kind, currency, count, smallest)
        for (country, state, kind, currency), (count, smallest) in sorted(
            groups.items(), key=lambda item: tuple(str(part) for part in item[0])
        )
    ]


async def preflight(
    coverage: Coverage, debts: Iterable[Debt], validated: Callable[[Debt], Debt]
) -> list[PreflightFinding]:
    """A finding for every group of debts no partner would take."""
    findings = []
    for group in coverage_groups(debts, validated):
        try:
            result = await coverage.check_eligibility(
                country=group.country,
                state=group.state,
                debtor_type=group.debtor_type,
                amount=group.smallest_amount,
                currency=group.currency,
            )
        except APIStatusError as error:
            if error.status != 400:
                raise
            findings.append(PreflightFinding(group, "Debitura refused the eligibility check"))
            continue
        if not result.is_eligible:
            findings.append(PreflightFinding(group, result.error_message or "not eligible"))
    logger.debug("debitura preflight: %d finding(s)", len(findings))
    return findings
