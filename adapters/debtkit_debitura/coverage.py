"""Where Debitura can collect: ``client.coverage.list()``, ``.get(jurisdiction_id)`` and
``.check_eligibility(...)`` (``POST /coverage/check-eligibility``: the partner a debt would go
to and its Power of Attorney status; the SDCA is not checked there, see
``client.account.contract_status()``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from debtkit.errors import Problem, ValidationError
from debtkit.transport import Request
from debtkit_debitura.calls import Resource, answer, path, segment
from debtkit_debitura.vocabulary import OpenVocabulary

__all__ = [
    "Coverage",
    "CoverageItem",
    "DebtorType",
    "Eligibility",
    "EligibilityJurisdiction",
    "PartnerCoverage",
    "PartnerInfo",
    "PowerOfAttorneyStatus",
]


MIN_AMOUNT = Decimal("0.01")  # the document's minimum for an eligibility check


class DebtorType(OpenVocabulary):
    COMPANY = "Company"
    PRIVATE = "Private"


@attrs.frozen
class PartnerCoverage:
    partner_id: str | None = None
    partner_name: str | None = None
    conditions: str | None = None  # "All cases", "B2B cases only", ...
    signed: bool = False  # the Power of Attorney for this partner
    requires_resigning: bool = False
    invalidation_reason: str | None = None
    terms_url: str | None = None
    solution_url: str | None = None


@attrs.frozen
class CoverageItem:
    """A ``CoverageItemApiDTO``: one jurisdiction and the partners working it."""

    jurisdiction_id: int
    jurisdiction: str | None = None
    country: str | None = None
    country_id: int | None = None
    country_alpha2: str | None = None
    us_state_alpha2: str | None = None
    partners: tuple[PartnerCoverage, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class EligibilityJurisdiction:
    id: int | None = None
    name: str | None = None
    country: str | None = None
    country_alpha2: str | None = None
    us_state_alpha2: str | None = None


@attrs.frozen
class PartnerInfo:
    id: str | None = None
    name: str | None = None


@attrs.frozen
class PowerOfAttorneyStatus:
    signed: bool = False
    requires_resigning: bool = False
    invalidation_reason: str | None = None
    terms_url: str | None = None
    solution_url: str | None = None


@attrs.frozen
class Eligibility:
    """``POST /coverage/check-eligibility``: can such a case be submitted, and to whom."""

    is_eligible: bool = False
    jurisdiction: EligibilityJurisdiction | None = None
    partner: PartnerInfo | None = None
    power_of_attorney_status: PowerOfAttorneyStatus | None = None
    error_message: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


class Coverage(Resource):
    """``client.coverage``."""

    def list(self) -> AsyncIterator[CoverageItem]:
        """Every jurisdiction Debitura operates in (``GET /coverage``, unpaged)."""
        return self.listing("coverage", CoverageItem, "Debitura coverage item")

    async def get(self, jurisdiction_id: int) -> CoverageItem:
        if isinstance(jurisdiction_id, bool) or not isinstance(jurisdiction_id, int):
            problem = Problem("jurisdiction_id", "invalid", "must be an integer")
            raise ValidationError([problem], subject="request")
        url = path("coverage", segment(jurisdiction_id, "jurisdiction_id"))
        return await self.fetch(url, CoverageItem, "Debitura coverage item")

    async def check_eligibility(
        self,
        *,
        country: str,
        debtor_type: DebtorType | str,
        amount: Decimal,
        currency: str,
        state: str | None = None,
    ) -> Eligibility:
        """`country` and `state` are ISO alpha-2 codes (`state` for US debtors: ``"CA"``)."""
        problems = [
            Problem(name, "invalid", "must be text")
            for name, value in (
                ("country", country),
                ("debtor_type", debtor_type),
                ("currency", currency),
                ("state", "" if state is None else state),
            )
            if not isinstance(value, str)
        ]
        if isinstance(amount, bool) or not isinstance(amount, (Decimal, int, str)):
            problems.append(Problem("amount", "invalid", "must be a Decimal"))
        else:
            try:
                amount = Decimal(amount)
            except ArithmeticError:
                problems.append(Problem("amount", "invalid", "must be a Decimal"))
            else:
                if not amount.is_finite() or amount < MIN_AMOUNT:
                    problems.append(Problem("amount", "invalid", f"must be at least {MIN_AMOUNT}"))
        if problems:
            raise ValidationError(problems, subject="eligibility check")
        body: dict[str, Any] = {
            "countryAlpha2": country,
            "debtorType": DebtorType(debtor_type).value,
            "amount": amount,
            "currencyCode": currency,
        }
        if state is not None:
            body["stateAlpha2"] = state
        request = Request("POST", "coverage/check-eligibility", json=body, retry_safe=True)
        response = await self.call(request)
        return answer(response, Eligibility, "Debitura eligibility")
