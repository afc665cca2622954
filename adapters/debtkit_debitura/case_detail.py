"""What happens to a case after it is created: ``client.case_detail.timeline(id)``,
``.contract_status(id)``, ``.validation(id)`` (item-level "needs info") and
``.exclusive_period(id)``. Quote requests and quotes are in `debtkit_debitura.quotes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from debtkit_debitura.calls import Resource, path, segment
from debtkit_debitura.vocabulary import OpenVocabulary

__all__ = [
    "CaseContractStatus",
    "CaseDetail",
    "CaseValidation",
    "ContractItem",
    "EngagementPhase",
    "ExclusivePeriod",
    "ExclusivePeriodExtension",
    "Timeline",
    "TimelineActor",
    "TimelineItem",
    "ValidationItem",
]


class EngagementPhase(OpenVocabulary):
    PRE_LEGAL = "Pre-legal"
    LEGAL = "Legal"
    ENFORCEMENT = "Enforcement"


@attrs.frozen
class TimelineActor:
    type: str | None = None  # "System", "Creditor user", "Partner user"
    name: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class TimelineItem:
    date: dt.datetime | None = None
    type: str | None = None
    title: str | None = None
    description: str | None = attrs.field(default=None, repr=False)
    actor: TimelineActor | None = None


@attrs.frozen
class Timeline:
    """``GET /cases/{id}/timeline``: the events in order, and the active engagement's phase
    (None while no partner works the case)."""

    items: tuple[TimelineItem, ...] = ()
    current_engagement_phase: EngagementPhase | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class ContractItem:
    signed: bool = False
    requires_resigning: bool = False
    solution_url: str | None = None  # where to sign; None when signed and current


@attrs.frozen
class CaseContractStatus:
    """``GET /cases/{id}/contract-status``: why a case waits in "Pending contract signing"."""

    sdca: ContractItem | None = None
    poa: ContractItem | None = None  # only once a partner is assigned
    pricing_appendix: ContractItem | None = None
    collection_partner_name: str | None = None
    needs_poa_signing: bool = False
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class ValidationItem:
    resolution_area: str | None = None
    description: str | None = None


@attrs.frozen
class CaseValidation:
    """``GET /cases/{id}/validation``: what the creditor must still supply."""

    needs_info: bool = False
    creditor_responded_at: dt.datetime | None = None
    items: tuple[ValidationItem, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class ExclusivePeriodExtension:
    type: str | None = None  # PromiseToPay, PaymentAgreement, Payment, Manual
    event_date: dt.datetime | None = None
    new_end_date: dt.datetime | None = None


@attrs.frozen
class ExclusivePeriod:
    """``GET /cases/{id}/exclusive-period``: the partner's exclusivity and its extensions."""

    engagement_start_date: dt.datetime | None = None
    current_end_date: dt.datetime | None = None
    days_remaining: int | None = None
    status: str | None = None  # Active, Expired, Terminated
    extensions: tuple[ExclusivePeriodExtension, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


class CaseDetail(Resource):
    """``client.case_detail``: reads about one case beyond its `Case` record."""

    async def timeline(self, case_id: str) -> Timeline:
        url = path("cases", segment(case_id), "timeline")
        return await self.fetch(url, Timeline, "Debitura timeline")

    async def contract_status(self, case_id: str) -> CaseContractStatus:
        url = path("cases", segment(case_id), "contract-status")
        return await self.fetch(url, CaseContractStatus, "Debitura contract status")

    async def validation(self, case_id: str) -> CaseValidation:
        url = path("cases", segment(case_id), "validation")
        return await self.fetch(url, CaseValidation, "Debitura case validation")

    async def exclusive_period(self, case_id: str) -> ExclusivePeriod:
        """`NotFoundError` also when the case has no collection period yet."""
        url = path("cases", segment(case_id), "exclusive-period")
        return await self.fetch(url, ExclusivePeriod, "Debitura exclusive period")
