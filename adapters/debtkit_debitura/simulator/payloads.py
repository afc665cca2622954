"""The simulator's response bodies, shaped exactly as Debitura's OpenAPI schemas say.

Every schema there has ``additionalProperties: false``, so nothing extra is added, and
object-typed members (``debtor``, ``signingHandoff``...) are left out rather than sent as
null, which their schemas do not allow.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from debtkit_debitura.simulator.checks import (
    debtor_type,
    parse_wire_date,
    resolve_country,
    resolve_us_state,
)
from debtkit_debitura.simulator.state import CONTRACT_ERRORS, timestamp

__all__ = [
    "CREDITOR",
    "ErrorStyle",
    "business_errors",
    "field_errors",
    "invoice",
    "preview_result",
    "signing_url",
]

ErrorStyle = Literal["dictionary", "pascal_dictionary", "problem_details", "api_error"]

CREDITOR: Mapping[str, Any] = {
    "id": "5b0f4a52-6a0e-4d8e-9d55-0c6f4b7a9e10",
    "companyName": "Simulated Creditor ApS",
    "companyRegistrationNumber": "DK12345678",
    "address": "Simulatorvej 1",
    "zipCode": "2100",
    "city": "Copenhagen",
    "state": None,
    "country": "Denmark",
    "officeEmail": "office@creditor.example",
    "officePhone": "+45 70 00 00 00",
}
_PARTNER = {
    "name": "Simulated Collection Partner",
    "officeEmail": "cases@partner.example",
    "officePhone": "+45 70 00 00 01",
    "publicSite": "https://partner.example",
}
_PARTNER_ID = "8d7e6c5b-4a39-4281-9f0e-1d2c3b4a5968"
_REFERENCE_ALPHABET = string.ascii_uppercase + string.digits
_BASE_FEE = Decimal("10")


def new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def signing_url(return_url: object) -> str:
    base = "https://app.debitura.com/signing"
    if isinstance(return_url, str) and urlsplit(return_url).scheme in {"http", "https"}:
        return f"{base}?returnUrl={quote(return_url, safe='')}"
    return base  # an invalid returnUrl is silently dropped


def _date(value: object) -> str | None:
    parsed = parse_wire_date(value)
    return f"{parsed.isoformat()}T00:00:00Z" if parsed else None


def _debtor(debtor: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in debtor.items() if v is not None}
    out["type"] = debtor_type(debtor.get("type")) or str(debtor.get("type"))
    country = resolve_country(debtor.get("countryAlpha2"), debtor.get("country"))
    if country:
        out["countryAlpha2"] = country
    if country == "US":
        state = resolve_us_state(debtor.get("stateAlpha2") or debtor.get("state"))
        if state:
            out["stateAlpha2"] = state
    return out


def age_uplift(body: Mapping[str, Any]) -> Decimal | None:
    """Blended uplift in points: ((A12 − A24)·10 + A24·20) / total (OpenAPI description)."""
    total = body.get("amountToRecover")
    a12, a24 = body.get("amountToRecoverOver12Months"), body.get("amountToRecoverOver24Months")
    if a12 is None or a24 is None or not total:
        return None
    points = ((Decimal(a12) - Decimal(a24)) * 10 + Decimal(a24) * 20) / Decimal(total)
    return points.quantize(Decimal("0.01"))


def invoice(
    body: Mapping[str, Any],
    *,
    now: float,
    lifecycle: str,
    pending_signing: bool,
    division: tuple[str, str] | None,
) -> dict[str, Any]:
    """The InvoiceDto for a case just created from `body`."""
    amount = body["amountToRecover"]
    created = timestamp(now)
    date = _date(body.get("date"))
    uplift = age_uplift(body)
    record: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "dateCreated": created,
        "dateUpdated": created,
        "reference": new_reference(),
        "creditorReference": body.get("creditorReference"),
        "creditorComments": body.get("comments"),
        "claimDescription": body.get("claimDescription"),
        "grossAmount": amount,
        "remainder": amount,
        "interestFees": 0,
        "reminderFees": 0,
        "collectionFees": 0,
        "totalAddedFees": 0,
        "currency": str(body["currencyCode"]).upper(),
        "isTestCase": bool(body.get("isTest")),
        "lifecycle": lifecycle,
        "dueDate": _date(body.get("dueDate")) or date,
        "date": date,
        "dateFinished": None,
        "dateCollectionStarted": created if lifecycle == "Active" else None,
        "closeCode": None,
        "currentEngagementPhase": "Pre-legal" if lifecycle == "Active" else None,
        "claimType": "Unpaid Invoice",
        "creditorDivisionId": division[0] if division else None,
        "debtor": _debtor(body["debtor"]),
        "collectionPartner": dict(_PARTNER),
        "creditor": {
            **CREDITOR,
            **({"division": {"id": division[0], "name": division[1]}} if division else {}),
        },
        "blendedAgeUpliftPoints": uplift,
        "preLegalSuccessFee": _BASE_FEE + (uplift or 0),
        "solutionUrl": None,
        "exclusivePeriodEndDate": None,
        "disputeStatus": None,
        "validation": {"needsInfo": False},
        "allocationOutstanding": {
            "principal": amount,
            "interest": 0,
            "reminderFees": 0,
            "collectionFees": 0,
        },
    }
    if pending_signing:
        record["solutionUrl"] = CONTRACT_ERRORS["sdca"][2]
        record["signingHandoff"] = {"combinedSigningUrl": signing_url(body.get("returnUrl"))}
    if body.get("assignedUserEmail"):
        record["assignedUser"] = {"email": body["assignedUserEmail"], "name": None}
    return record


def preview_result(
    body: Mapping[str, Any],
    *,
    unsigned: list[str],
    covered: bool,
) -> dict[str, Any]:
    """The PreviewCaseResponseApiViewModel for an acceptable preview body."""
    debtor = body["debtor"]
    country = str(debtor["countryAlpha2"]).upper()
    state = resolve_us_state(debtor.get("stateAlpha2")) if country == "US" else None
    uplift = age_uplift(body) or Decimal(0)
    result: dict[str, Any] = {
        "isEligible": covered,
        "ineligibilityReason": None
        if covered
        else "We don't have an exclusive pre-legal partner in this jurisdiction.",
        "requiredActions": [
            {"type": kind, "message": message, "solutionUrl": url, "isBlocking": True}
            for kind, message, url in (CONTRACT_ERRORS[c] for c in unsigned)
        ],
        "jurisdiction": {
            "id": 1000 + sum(map(ord, country + (state or ""))),
            "name": f"{country} - {state}" if state else country,
            "countryAlpha2": country,
            "stateAlpha2": state,
        },
        "pricingPreview": {
            "baseSuccessFeePercentage": _BASE_FEE,
            "ageSurchargePercentage": uplift,
            "totalSuccessFeePercentage": _BASE_FEE + uplift,
            "currencyCode": str(body["currencyCode"]).upper(),
            "pricingSource": "Standard agreement",
            "pricingSourceDescription": "Standard success fee with age-based uplift.",
        },
        "requiresKycVerification": False,
        "hasKycOnFile": True,
    }
    if covered:
        result["partnerAssignment"] = {
            "collectionPartnerId": _PARTNER_ID,
            "partnerName": _PARTNER["name"],
            "partnerCountry": country,
        }
    if unsigned:
        result["signingHandoff"] = {"combinedSigningUrl": signing_url(body.get("returnUrl"))}
    return {"result": result}


def _pascal(path: str) -> str:
    return ".".join(part[:1].upper() + part[1:] for part in path.split("."))


def field_errors(errors: Mapping[str, list[str]], style: ErrorStyle, trace_id: str) -> Any:
    """A 400 body for field errors, in one of the shapes Debitura is documented to use."""
    if style == "dictionary":
        return dict(errors)
    if style == "pascal_dictionary":
        return {_pascal(k): list(v) for k, v in errors.items()}
    if style == "problem_details":
        return {
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": {_pascal(k): list(v) for k, v in errors.items()},
            "traceId": trace_id,
        }
    duplicate = any(m.startswith("DuplicateReference") for v in errors.values() for m in v)
    items = [
        {
            "type": "DuplicateReference" if m.startswith("DuplicateReference") else "Validation",
            "message": f"{k}: {m}",
            "solutionUrl": None,
        }
        for k, v in errors.items()
        for m in v
    ]
    return {
        "error": "DuplicateReference" if duplicate else "Validation failed",
        "message": "; ".join(item["message"] for item in items),  # type: ignore[misc]
        "businessErrors": items,
    }


def business_errors(
    items: Sequence[tuple[str, str, str | None]], signing: str | None = None
) -> dict[str, Any]:
    """A 422 BusinessErrorResponseApiDTO."""
    body: dict[str, Any] = {
        "businessErrors": [
            {"type": kind, "message": message, "solutionUrl": url} for kind, message, url in items
        ]
    }
    if signing is not None:
        body["signingHandoff"] = {"combinedSigningUrl": signing}
    return body


def api_error(error: str, message: str) -> dict[str, Any]:
    """An ApiErrorResponseDto (the declared 400/404/500 shape)."""
    return {
        "error": error,
        "message": message,
        "businessErrors": [{"type": error, "message": message, "solutionUrl": None}],
    }
