"""The simulator's memory beyond cases: files, chats, team members, divisions, coverage, and
what collection adds to a case (timeline, validation items, exclusive period, quotes).

A test reads it as ``app[RECORDS]`` and drives what collection would do with its hooks
(`needs_info`, `start_exclusive_period`, `add_quote_request`, `add_quote`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import attrs
import pycountry
from aiohttp import web

from debtkit_debitura.simulator.state import SimulatorState, StoredResponse, timestamp

__all__ = ["PARTNER_ID", "RECORDS", "Records", "StoredFile"]

PARTNER_ID = "8d7e6c5b-4a39-4281-9f0e-1d2c3b4a5968"  # the partner of payloads.invoice
PARTNER_NAME = "Simulated Collection Partner"


def _jurisdictions() -> list[tuple[str, str | None]]:
    """Every country is a jurisdiction, the US one per state, so that coverage and
    eligibility agree with case creation (which only ``uncovered_countries`` refuses)."""
    countries = sorted(str(c.alpha_2) for c in pycountry.countries if c.alpha_2 != "US")
    states = sorted(
        str(s.code).removeprefix("US-")
        for s in pycountry.subdivisions.get(country_code="US")  # type: ignore[no-untyped-call]
        if s.type == "State"
    )
    return [(c, None) for c in countries] + [("US", s) for s in states]


@attrs.define
class StoredFile:
    record: dict[str, Any]  # the CaseFileDto, as served
    size: int


@attrs.define
class Records:
    state: SimulatorState
    users: list[dict[str, Any]] = attrs.field(factory=list)
    files: dict[str, list[StoredFile]] = attrs.field(factory=dict)  # by case id
    chats: dict[str, list[dict[str, Any]]] = attrs.field(factory=dict)
    timeline: dict[str, list[dict[str, Any]]] = attrs.field(factory=dict)
    validation_items: dict[str, list[dict[str, Any]]] = attrs.field(factory=dict)
    exclusive_periods: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    quote_requests: dict[str, dict[str, dict[str, Any]]] = attrs.field(factory=dict)
    quotes: dict[str, dict[str, dict[str, Any]]] = attrs.field(factory=dict)  # by request id
    divisions: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    division_idempotency: dict[tuple[str, str], StoredResponse] = attrs.field(factory=dict)
    coverage: list[dict[str, Any]] = attrs.field(factory=list)

    @classmethod
    def seeded(cls, state: SimulatorState) -> Records:
        records = cls(state)
        records.users.append(
            {"id": str(uuid.uuid4()), "name": "Sim Creditor", "email": "creditor@example.com"}
        )
        now = timestamp(state.clock())
        for division_id, name in state.divisions.items():
            records.divisions[division_id] = division_record(
                division_id, {"companyName": name, "city": "Copenhagen", "countryCode": "DK"}, now
            )
        for number, (country, us_state) in enumerate(_jurisdictions(), start=1):
            found = pycountry.countries.get(alpha_2=country)
            name = str(found.name) if found is not None else country
            records.coverage.append(
                {
                    "jurisdiction": f"{name} - {us_state}" if us_state else name,
                    "jurisdictionId": number,
                    "country": name,
                    "countryId": 100 + number,
                    "countryAlpha2": country,
                    "usStateAlpha2": us_state,
                }
            )
        return records

    # -- what collection does (test hooks) -------------------------------------------------

    def event(self, case_id: str, kind: str, title: str, description: str, actor: str) -> None:
        self.timeline.setdefault(case_id, []).append(
            {
                "date": timestamp(self.state.clock()),
                "type": kind,
                "title": title,
                "description": description,
                "actor": {"type": actor, "name": None},
            }
        )

    def needs_info(self, case_id: str, items: list[tuple[str, str]]) -> None:
        """The partner asks for more information: (resolution area, description) pairs."""
        self.validation_items[case_id] = [
            {"resolutionArea": area, "description": text} for area, text in items
        ]
        self.state.cases[case_id].invoice["validation"] = {"needsInfo": bool(items)}
        self.event(case_id, "Validation", "More information needed", "", "System")

    def start_exclusive_period(self, case_id: str, start: dt.datetime, days: int) -> None:
        end = start + dt.timedelta(days=days)
        today = dt.datetime.fromtimestamp(self.state.clock(), dt.timezone.utc)
        self.exclusive_periods[case_id] = {
            "engagementStartDate": timestamp(start.timestamp()),
            "currentEndDate": timestamp(end.timestamp()),
            "daysRemaining": (end - today).days,
            "status": "Active" if end > today else "Expired",
            "extensions": [],
        }
        self.state.cases[case_id].invoice["exclusivePeriodEndDate"] = timestamp(end.timestamp())

    def add_quote_request(self, case_id: str, quote_type: str = "Legal") -> str:
        request_id = str(uuid.uuid4())
        self.quote_requests.setdefault(case_id, {})[request_id] = {
            "quoteRequestId": request_id,
            "caseId": case_id,
            "status": "Open",
            "leadFlowStatus": "CollectingQuotes",
            "quoteType": quote_type,
            "maxQuotes": 3,
            "currentQuotesCount": 0,
            "outcome": None,
            "purpose": "PhaseChange",
            "dateCreated": timestamp(self.state.clock()),
            "isMaxBidCountReached": False,
            "request": "Escalate to legal collection",
            "existingFees": None,
        }
        self.quotes[request_id] = {}
        return request_id

    def add_quote(self, case_id: str, request_id: str, success_fee: float = 25.0) -> str:
        quote_id = str(uuid.uuid4())
        self.quotes[request_id][quote_id] = {
            "quoteId": quote_id,
            "quoteRequestId": request_id,
            "partnerId": PARTNER_ID,
            "partnerName": PARTNER_NAME,
            "status": "Pending",
            "agreementType": "SuccessFee",
            "currency": "EUR",
            "successFee": success_fee,
            "phase": "Legal",
            "offerNature": "Recommendation",
            "proposedSolution": "Court proceedings",
            "dateCreated": timestamp(self.state.clock()),
        }
        request = self.quote_requests[case_id][request_id]
        request["currentQuotesCount"] = len(self.quotes[request_id])
        request["isMaxBidCountReached"] = request["currentQuotesCount"] >= request["maxQuotes"]
        return quote_id


def division_record(division_id: str, body: dict[str, Any], now: str) -> dict[str, Any]:
    code = str(body["countryCode"]).upper()
    found = pycountry.countries.get(alpha_2=code)
    return {
        "id": division_id,
        "companyName": body["companyName"],
        "registrationNumber": body.get("registrationNumber"),
        "address": body.get("address"),
        "zipCode": body.get("zipCode"),
        "state": body.get("state"),
        "city": body["city"],
        "country": {
            "id": int(found.numeric) if found is not None else 0,
            "name": str(found.name) if found is not None else None,
            "alpha2": code,
        },
        "officeEmail": body.get("officeEmail"),
        "officePhone": body.get("officePhone"),
        "isArchived": False,
        "createdUtc": now,
        "updatedUtc": None,
    }


RECORDS = web.AppKey("debitura_records", Records)
