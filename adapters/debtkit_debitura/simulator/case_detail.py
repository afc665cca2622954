"""Simulated reads about one case: timeline, contract status, validation, exclusive period,
quote requests and quotes (``GET /cases/{id}/...``). 400 for a non-GUID id, 404 for an unknown
case, quote request or quote, and for the exclusive period of a case that has none yet.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from debtkit_debitura.simulator.records import Records
from debtkit_debitura.simulator.replies import api_error, case_of, json_reply
from debtkit_debitura.simulator.state import CONTRACT_ERRORS, SimulatorState

__all__ = ["register"]

_SUMMARY_ONLY = ("isMaxBidCountReached", "request", "existingFees")  # LeadDetailDto only
_DETAIL_ONLY = ("purpose",)  # LeadDto only
_QUOTE_PRICES = ("hourlyRate", "hourlyEstimated", "flatFeeEstimate", "successFee", "hybridEstimate")


class _CaseDetail:
    def __init__(self, state: SimulatorState, records: Records) -> None:
        self.state = state
        self.records = records

    def _case_id(self, request: web.Request) -> str | web.Response:
        case = case_of(self.state, request)
        return case if isinstance(case, web.Response) else str(case.invoice["id"])

    async def timeline(self, request: web.Request) -> web.Response:
        case = case_of(self.state, request)
        if isinstance(case, web.Response):
            return case
        invoice = case.invoice
        created = {
            "date": invoice["dateCreated"],
            "type": "Created",
            "title": "Case created",
            "description": f"Case {invoice['reference']} was created.",
            "actor": {"type": "Creditor user", "name": None},
        }
        items = [created, *self.records.timeline.get(str(invoice["id"]), [])]
        return json_reply(
            {"items": items, "currentEngagementPhase": invoice["currentEngagementPhase"]}
        )

    async def contract_status(self, request: web.Request) -> web.Response:
        case = case_of(self.state, request)
        if isinstance(case, web.Response):
            return case
        unsigned = self.state.unsigned_contracts

        def item(contract: str) -> dict[str, Any]:
            signed = contract not in unsigned
            url = None if signed else CONTRACT_ERRORS[contract][2]
            return {"signed": signed, "requiresResigning": False, "solutionUrl": url}

        partner = case.invoice.get("collectionPartner") or {}
        body: dict[str, Any] = {
            "sdca": item("sdca"),
            "collectionPartnerName": partner.get("name"),
            "needsPoaSigning": "poa" in unsigned,
        }
        if partner:  # "poa: present only if a collection partner is assigned"
            body["poa"] = item("poa")
            body["pricingAppendix"] = item("poa")
        return json_reply(body)

    async def validation(self, request: web.Request) -> web.Response:
        case_id = self._case_id(request)
        if isinstance(case_id, web.Response):
            return case_id
        items = self.records.validation_items.get(case_id, [])
        return json_reply({"needsInfo": bool(items), "creditorRespondedAt": None, "items": items})

    async def exclusive_period(self, request: web.Request) -> web.Response:
        case_id = self._case_id(request)
        if isinstance(case_id, web.Response):
            return case_id
        period = self.records.exclusive_periods.get(case_id)
        if period is None:
            return api_error(404, "NotFound", "No collection period exists for this case.")
        return json_reply(period)

    async def quote_requests(self, request: web.Request) -> web.Response:
        case_id = self._case_id(request)
        if isinstance(case_id, web.Response):
            return case_id
        found = self.records.quote_requests.get(case_id, {}).values()
        summaries = [{k: v for k, v in r.items() if k not in _SUMMARY_ONLY} for r in found]
        return json_reply({"quoteRequests": summaries})

    def _quote_request(self, request: web.Request) -> dict[str, Any] | web.Response:
        case_id = self._case_id(request)
        if isinstance(case_id, web.Response):
            return case_id
        try:
            request_id = str(uuid.UUID(request.match_info["quoteRequestId"]))
        except ValueError:
            return api_error(400, "InvalidId", "The id must be a GUID.")
        found = self.records.quote_requests.get(case_id, {}).get(request_id)
        if found is None:
            return api_error(404, "NotFound", "Quote request not found.")
        return found

    async def quote_request(self, request: web.Request) -> web.Response:
        found = self._quote_request(request)
        if isinstance(found, web.Response):
            return found
        return json_reply({k: v for k, v in found.items() if k not in _DETAIL_ONLY})

    async def quotes(self, request: web.Request) -> web.Response:
        found = self._quote_request(request)
        if isinstance(found, web.Response):
            return found
        quotes = self.records.quotes.get(found["quoteRequestId"], {})
        return json_reply({"quotes": list(quotes.values())})

    async def quote(self, request: web.Request) -> web.Response:
        found = self._quote_request(request)
        if isinstance(found, web.Response):
            return found
        try:
            quote_id = str(uuid.UUID(request.match_info["quoteId"]))
        except ValueError:
            return api_error(400, "InvalidId", "The id must be a GUID.")
        quote = self.records.quotes.get(found["quoteRequestId"], {}).get(quote_id)
        if quote is None:
            return api_error(404, "NotFound", "Quote not found.")
        detail = {k: v for k, v in quote.items() if k not in (*_QUOTE_PRICES, "phase")}
        detail.pop("offerNature", None)
        pricing = {k: quote.get(k) for k in _QUOTE_PRICES if k != "successFee"}
        pricing["successFeeFee"] = quote.get("successFee")
        pricing["costProcessMisc"] = 0
        detail.update(
            {
                "pricing": pricing,
                "feeComments": None,
                "fullQuoteLink": f"https://app.debitura.example/quotes/{quote_id}",
                "dateUpdated": None,
            }
        )
        return json_reply(detail)


def register(app: web.Application, state: SimulatorState, records: Records) -> None:
    detail = _CaseDetail(state, records)
    add = app.router.add_get
    add("/cases/{id}/timeline", detail.timeline)
    add("/cases/{id}/contract-status", detail.contract_status)
    add("/cases/{id}/validation", detail.validation)
    add("/cases/{id}/exclusive-period", detail.exclusive_period)
    add("/cases/{id}/quote-requests", detail.quote_requests)
    add("/cases/{id}/quote-requests/{quoteRequestId}", detail.quote_request)
    add("/cases/{id}/quote-requests/{quoteRequestId}/quotes", detail.quotes)
    add("/cases/{id}/quote-requests/{quoteRequestId}/quotes/{quoteId}", detail.quote)
