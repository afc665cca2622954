"""The legal and enforcement quote flow of a case, read-only: ``client.quotes.requests(case)``,
``.request(case, quote_request)``, ``.quotes(case, quote_request)`` and
``.quote(case, quote_request, quote)`` (``GET /cases/{id}/quote-requests...``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from debtkit_debitura.calls import Resource, path, segment

__all__ = ["Quote", "QuoteDetail", "QuotePricing", "QuoteRequest", "QuoteRequestDetail", "Quotes"]


@attrs.frozen
class QuoteRequest:
    """A ``LeadDto``: Debitura asking partners to quote for the next phase of a case."""

    quote_request_id: str
    case_id: str | None = None
    status: str | None = None
    lead_flow_status: str | None = None
    quote_type: str | None = None
    max_quotes: int | None = None
    current_quotes_count: int | None = None
    outcome: str | None = None
    purpose: str | None = None  # PhaseChange or AdditionalService
    date_created: dt.datetime | None = None
    date_qualified: dt.datetime | None = None
    date_outcome_selected: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class QuoteRequestDetail:
    """A ``LeadDetailDto``."""

    quote_request_id: str
    case_id: str | None = None
    status: str | None = None
    lead_flow_status: str | None = None
    quote_type: str | None = None
    max_quotes: int | None = None
    current_quotes_count: int | None = None
    is_max_bid_count_reached: bool = False
    outcome: str | None = None
    request: str | None = None
    existing_fees: str | None = None
    date_created: dt.datetime | None = None
    date_qualified: dt.datetime | None = None
    date_outcome_selected: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class Quote:
    """A ``LeadQuoteDto``: one partner's offer."""

    quote_id: str
    quote_request_id: str | None = None
    partner_id: str | None = None
    partner_name: str | None = None
    status: str | None = None
    agreement_type: str | None = None
    currency: str | None = None
    hourly_rate: Decimal | None = None
    hourly_estimated: Decimal | None = None
    flat_fee_estimate: Decimal | None = None
    success_fee: Decimal | None = None
    hybrid_estimate: Decimal | None = None
    phase: str | None = None
    offer_nature: str | None = None
    date_created: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class QuotePricing:
    hourly_rate: Decimal | None = None
    hourly_estimated: Decimal | None = None
    flat_fee_estimate: Decimal | None = None
    success_fee_fee: Decimal | None = None  # sic: Debitura's name
    hybrid_estimate: Decimal | None = None
    cost_process_misc: Decimal | None = None


@attrs.frozen
class QuoteDetail:
    """A ``LeadQuoteDetailDto``: one offer with its full pricing."""

    quote_id: str
    quote_request_id: str | None = None
    partner_id: str | None = None
    partner_name: str | None = None
    status: str | None = None
    agreement_type: str | None = None
    currency: str | None = None
    pricing: QuotePricing | None = None
    proposed_solution: str | None = None
    fee_comments: str | None = None
    full_quote_link: str | None = None
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


class Quotes(Resource):
    """``client.quotes``."""

    def requests(self, case_id: str) -> AsyncIterator[QuoteRequest]:
        url = path("cases", segment(case_id), "quote-requests")
        return self.listing(url, QuoteRequest, "Debitura quote request", key="quoteRequests")

    async def request(self, case_id: str, quote_request_id: str) -> QuoteRequestDetail:
        url = path(
            "cases",
            segment(case_id),
            "quote-requests",
            segment(quote_request_id, "quote_request_id"),
        )
        return await self.fetch(url, QuoteRequestDetail, "Debitura quote request")

    def quotes(self, case_id: str, quote_request_id: str) -> AsyncIterator[Quote]:
        url = path(
            "cases",
            segment(case_id),
            "quote-requests",
            segment(quote_request_id, "quote_request_id"),
            "quotes",
        )
        return self.listing(url, Quote, "Debitura quote", key="quotes")

    async def quote(self, case_id: str, quote_request_id: str, quote_id: str) -> QuoteDetail:
        url = path(
            "cases",
            segment(case_id),
            "quote-requests",
            segment(quote_request_id, "quote_request_id"),
            "quotes",
            segment(quote_id, "quote_id"),
        )
        return await self.fetch(url, QuoteDetail, "Debitura quote")
