"""Simulated account reads: ``GET /users`` (paged, ProblemDetails errors as documented),
``GET /contracts/debt-collection/status``, ``GET /coverage``, ``GET /coverage/{id}`` and
``POST /coverage/check-eligibility``.

Coverage follows the switches of `SimulatorState`: a country in ``uncovered_countries`` has
no partner, an unsigned ``poa`` shows on every partner. Eligibility: ``countryAlpha2``,
``debtorType`` (Company or Private), ``amount`` (≥ 0.01) and ``currencyCode`` are required,
``stateAlpha2`` too for US debtors (400 otherwise); a jurisdiction outside the coverage list
is answered ``isEligible: false`` with an ``errorMessage``, not an error.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from aiohttp import web

from debtkit_debitura.simulator.records import PARTNER_ID, PARTNER_NAME, Records
from debtkit_debitura.simulator.replies import api_error, json_reply, read_object
from debtkit_debitura.simulator.state import CONTRACT_ERRORS, SimulatorState

__all__ = ["register"]

_USERS_MAX_PAGE = 100


def _problem(status: int, title: str) -> web.Response:
    return json_reply({"type": "about:blank", "title": title, "status": status}, status)


class _Account:
    def __init__(self, state: SimulatorState, records: Records) -> None:
        self.state = state
        self.records = records

    async def users(self, request: web.Request) -> web.Response:
        query = {k.casefold(): v for k, v in request.query.items()}
        try:
            page = int(query.get("page", "1"))
            size = int(query.get("pagesize", "50"))
        except ValueError:
            return _problem(400, "Page and PageSize must be integers.")
        if page < 1 or not 1 <= size <= _USERS_MAX_PAGE:
            return _problem(400, "Page must be at least 1 and PageSize 1 to 100.")
        users = self.records.users
        chunk = users[(page - 1) * size : page * size]
        return json_reply(
            {
                "page": {
                    "totalResults": len(users),
                    "pageSize": size,
                    "currentPage": page,
                    "responseCount": len(chunk),
                    "totalPages": math.ceil(len(users) / size),
                },
                "users": chunk,
            }
        )

    async def contract(self, request: web.Request) -> web.Response:
        signed = "sdca" not in self.state.unsigned_contracts
        return json_reply(
            {
                "signed": signed,
                "requiresResigning": False,
                "invalidationReason": "None",
                "termsUrl": "https://app.debitura.example/contracts/sdca.pdf" if signed else None,
                "solutionUrl": None if signed else CONTRACT_ERRORS["sdca"][2],
            }
        )

    def _poa(self) -> dict[str, Any]:
        signed = "poa" not in self.state.unsigned_contracts
        return {
            "signed": signed,
            "requiresResigning": False,
            "invalidationReason": None,
            "termsUrl": "https://app.debitura.example/contracts/poa.pdf" if signed else None,
            "solutionUrl": None if signed else CONTRACT_ERRORS["poa"][2],
        }

    def _item(self, item: dict[str, Any]) -> dict[str, Any]:
        partners = []
        if item["countryAlpha2"] not in self.state.uncovered_countries:
            partners.append(
                {
                    "partnerId": PARTNER_ID,
                    "partnerName": PARTNER_NAME,
                    "conditions": "All cases",
                    **self._poa(),
                }
            )
        return {**item, "partners": partners}

    async def coverage(self, request: web.Request) -> web.Response:
        return json_reply([self._item(item) for item in self.records.coverage])

    async def coverage_item(self, request: web.Request) -> web.Response:
        raw = request.match_info["id"]
        wanted = int(raw) if raw.isascii() and raw.isdigit() else None
        for item in self.records.coverage:
            if item["jurisdictionId"] == wanted:
                return json_reply(self._item(item))
        return api_error(404, "NotFound", "Jurisdiction not found.")

    async def eligibility(self, request: web.Request) -> web.Response:
        body = await read_object(request)
        if isinstance(body, web.Response):
            return body
        country = str(body.get("countryAlpha2") or "").upper()
        state = str(body.get("stateAlpha2") or "").upper() or None
        amount = body.get("amount")
        problems = []
        if len(country) != 2:
            problems.append("countryAlpha2 is required (2 letters).")
        if country == "US" and state is None:
            problems.append("stateAlpha2 is required for US debtors.")
        if body.get("debtorType") not in {"Company", "Private"}:
            problems.append("debtorType must be Company or Private.")
        if (
            isinstance(amount, bool)
            or not isinstance(amount, (int, Decimal))
            or amount < Decimal("0.01")
        ):
            problems.append("amount must be at least 0.01.")
        if not body.get("currencyCode"):
            problems.append("currencyCode is required.")
        if problems:
            return api_error(400, "ValidationError", " ".join(problems))
        item = next(
            (
                i
                for i in self.records.coverage
                if i["countryAlpha2"] == country
                and (country != "US" or i["usStateAlpha2"] == state)
            ),
            None,
        )
        if item is None or country in self.state.uncovered_countries:
            return json_reply(
                {
                    "isEligible": False,
                    "errorMessage": "We don't have an exclusive pre-legal partner in this "
                    "jurisdiction.",
                }
            )
        return json_reply(
            {
                "isEligible": True,
                "jurisdiction": {
                    "id": item["jurisdictionId"],
                    "name": item["jurisdiction"],
                    "country": item["country"],
                    "countryAlpha2": item["countryAlpha2"],
                    "usStateAlpha2": item["usStateAlpha2"],
                },
                "partner": {"id": PARTNER_ID, "name": PARTNER_NAME},
                "powerOfAttorneyStatus": self._poa(),
                "errorMessage": None,
            }
        )


def register(app: web.Application, state: SimulatorState, records: Records) -> None:
    account = _Account(state, records)
    app.router.add_get("/users", account.users)
    app.router.add_get("/contracts/debt-collection/status", account.contract)
    app.router.add_post("/coverage/check-eligibility", account.eligibility)
    app.router.add_get("/coverage", account.coverage)
    app.router.add_get("/coverage/{id}", account.coverage_item)
