"""GetBill's error envelopes and rate-limit headers, read into debtkit's neutral terms.

GetBill answers errors as ``{"error": true, "message", "code", "details": {field: [msg]}}``;
one endpoint (creditor update) uses ``"errors": [{"property", "message"}]`` instead, and the
token endpoint's shape was never documented (OAuth's ``error``/``error_description`` is
expected). All three are read; field names become debtkit paths through `NEUTRAL_PATHS`.

The 422 expensive-destination body is documented only as "full destination details
(country code, name, credits, multiplier)". ASSUMED keys, which the simulator sends::

    {"error": true, "code": 422, "message": "...",
     "details": {"error_type": "expensive_destination",
                 "destination": {"country_code": "RE", "name": "Réunion",
                                 "credits": 100, "multiplier": 4.0}}}

The parser also accepts those four keys directly in ``details`` or at the top level.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from debtkit import (
    APIStatusError,
    BusinessRuleError,
    Problem,
    RateLimitedError,
    RateObservation,
    error_for_status,
)
from debtkit.transport import Response
from debtkit_getbill.options import PROVIDER

__all__ = [
    "NEUTRAL_PATHS",
    "ExpensiveDestinationError",
    "destination_details",
    "error_from_response",
    "expensive_destination_error",
    "is_expensive_destination",
    "neutral_path",
    "problems_from_body",
    "rate_observation",
]

EXPENSIVE_DESTINATION = "expensive_destination"

NEUTRAL_PATHS: Mapping[str, str] = {
    "firstname": "debtor.first_name",
    "lastname": "debtor.last_name",
    "civility": "debtor.civility",
    "phone": "debtor.phone",
    "email": "debtor.email",
    "birthdate": "debtor.birth_date",
    "debtor_company": "debtor.company_name",
    "debtor_reference": "debtor.reference",
    "address": "debtor.address.full",
    "street_address": "debtor.address.street",
    "street_number": "debtor.address.number",
    "postal_code": "debtor.address.postal_code",
    "city": "debtor.address.city",
    "country": "debtor.address.country",
    "amount": "amount",
    "currency": "currency",
    "object": "description",
    "internal_id": "creditor_reference",
    "invoice_reference": "invoice_reference",
    "invoice_date": "invoice_date",
    "due_date": "due_date",
    "iban": "iban",
    "company": "creditor_name",
    "payment_link": "payment_link",
    "metadata": "metadata",
    "timeline_id": f"options.{PROVIDER}.timeline_id",
    "timeline_start_mode": f"options.{PROVIDER}.timeline_start_mode",
    "accept_expensive_destination": f"options.{PROVIDER}.accept_expensive_destination",
    "civility_completion": f"options.{PROVIDER}.civility_completion",
    "email_validation": f"options.{PROVIDER}.email_validation",
}

# GetBill's documented phone messages, as stable problem codes.
_MESSAGE_CODES = {
    "phone number too short": "too_short",
    "phone number too long": "too_long",
    "invalid country code": "invalid_country_code",
    "number format is not valid": "invalid_number",
    "number not registered in carrier database": "not_allocated",
}


def neutral_path(field: str) -> str:
    """The debtkit path for a GetBill field name (unknown names are kept as they are)."""
    return NEUTRAL_PATHS.get(field, field)


def _code(message: str) -> str:
    text = message.strip().lower()
    if text in _MESSAGE_CODES:
        return _MESSAGE_CODES[text]
    if "required" in text:
        return "required"
    return "rejected"


def problems_from_body(body: Any) -> list[Problem]:
    """Field problems from either envelope: ``details`` map or ``errors`` list."""
    if not isinstance(body, Mapping):
        return []
    problems: list[Problem] = []
    details = body.get("details")
    if isinstance(details, Mapping):
        for field, messages in details.items():
            if field in {"retry_after", "limit", "reset_time", "error_type", "destination"}:
                continue
            items = messages if isinstance(messages, list) else [messages]
            for message in items:
                if isinstance(message, (str, int, Decimal)):
                    text = str(message)
                    problems.append(Problem(neutral_path(str(field)), _code(text), text))
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, Mapping):
                field = str(item.get("property") or item.get("field") or "")
                text = str(item.get("message") or "is not valid")
                problems.append(Problem(neutral_path(field), _code(text), text))
    elif isinstance(errors, Mapping):
        problems.extend(problems_from_body({"details": errors}))
    return problems


class ExpensiveDestinationError(BusinessRuleError):
    """GetBill's 422: the phone's destination costs more credits per AI call than France and
    the debt did not carry ``accept_expensive_destination: true``."""

    def __init__(
        self,
        message: str,
        *,
        destination: str | None = None,
        destination_name: str | None = None,
        credits: int | None = None,
        multiplier: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        self.destination = destination  # ISO 3166-1 alpha-2 of the phone's region
        self.destination_name = destination_name
        self.credits = credits  # per AI call
        self.multiplier = multiplier
        kwargs.setdefault("error_type", EXPENSIVE_DESTINATION)
        super().__init__(message, **kwargs)

    def _summary(self) -> str:
        where = f" to {self.destination}" if self.destination else ""
        cost = f" ({self.credits} credits per call)" if self.credits is not None else ""
        return super()._summary() + where + cost


_ALPHA2 = re.compile(r"[A-Za-z]{2}")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except Exception:
        return None
    return number if number.is_finite() else None


def destination_details(body: Any) -> Mapping[str, Any] | None:
    """The destination block of a GetBill expensive-destination answer, if it has one."""
    if not isinstance(body, Mapping):
        return None
    details = body.get("details")
    for holder in (details, body):
        if not isinstance(holder, Mapping):
            continue
        nested = holder.get("destination")
        if isinstance(nested, Mapping):
            return nested
        if "credits" in holder and ("country_code" in holder or "country" in holder):
            return holder
    return None


def is_expensive_destination(body: Any) -> bool:
    if not isinstance(body, Mapping):
        return False
    details = body.get("details")
    kind = body.get("error_type") or (
        details.get("error_type") if isinstance(details, Mapping) else None
    )
    if kind == EXPENSIVE_DESTINATION or destination_details(body) is not None:
        return True
    return "expensive" in str(body.get("message") or "").lower()


def expensive_destination_error(
    message: str, source: Any, /, **common: Any
) -> ExpensiveDestinationError:
    """An `ExpensiveDestinationError` from a 422 body or a batch ``failed`` entry."""
    details = destination_details(source) or {}
    credits = _number(details.get("credits"))
    code = details.get("country_code") or details.get("country")
    return ExpensiveDestinationError(
        message,
        # Shown in str(): only an alpha-2 code, never whatever else the server put there.
        destination=code.upper() if isinstance(code, str) and _ALPHA2.fullmatch(code) else None,
        destination_name=str(details["name"]) if isinstance(details.get("name"), str) else None,
        credits=int(credits) if credits is not None else None,
        multiplier=_number(details.get("multiplier")),
        **common,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    if name in headers:
        return headers[name]
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _retry_after(response: Response, clock: Callable[[], float]) -> float | None:
    """Retry-After header (seconds or HTTP date), else details.retry_after, else the
    X-RateLimit-Reset epoch minus now."""
    header = _header(response.headers, "Retry-After")
    if header is not None:
        seconds = _number(header)
        if seconds is not None:
            return max(float(seconds), 0.0)
        try:
            return max(parsedate_to_datetime(header).timestamp() - clock(), 0.0)
        except (TypeError, ValueError):
            pass
    body = response.body
    details = body.get("details") if isinstance(body, Mapping) else None
    if isinstance(details, Mapping):
        seconds = _number(details.get("retry_after"))
        if seconds is not None:
            return max(float(seconds), 0.0)
    reset = _number(_header(response.headers, "X-RateLimit-Reset"))
    if reset is not None:
        return max(float(reset) - clock(), 0.0)
    return None


def error_from_response(
    response: Response, *, clock: Callable[[], float] = time.time
) -> APIStatusError:
    """The typed error for a non-2xx GetBill answer. Provider text stays on ``.message``;
    ``str()`` names only where, the status and the field paths."""
    body = response.body
    message = ""
    if isinstance(body, Mapping):
        raw = body.get("message") or body.get("error_description")
        if raw is None and isinstance(body.get("error"), str):
            raw = body["error"]  # OAuth: {"error": "invalid_client", ...}
        message = str(raw or "")
    message = message or f"HTTP {response.status}"
    common: dict[str, Any] = {
        "provider": PROVIDER,
        "method": response.method,
        "path": response.path,
        "status": response.status,
        "request_id": response.request_id,
        "body": body,
        "headers": response.headers,
        "problems": problems_from_body(body),
    }
    if response.status == 422 and is_expensive_destination(body):
        return expensive_destination_error(message, body, **common)
    if response.status == 429:
        return RateLimitedError(message, retry_after=_retry_after(response, clock), **common)
    return error_for_status(response.status)(message, **common)


def rate_observation(response: Response) -> RateObservation | None:
    """The four ``X-RateLimit-*`` headers, or None when absent or unreadable.

    Values may carry fractions (the simulator compresses time). Which budget the headers
    describe is undocumented; debtkit (and its simulator) read them as the budget of the
    request: ``read`` for GET, ``write`` otherwise.
    """
    headers = response.headers
    raw = {
        name: _header(headers, f"X-RateLimit-{name}")
        for name in ("Limit", "Remaining", "Reset", "Window")
    }
    if all(value is None for value in raw.values()):
        return None
    parsed = {name: _number(value) if value is not None else None for name, value in raw.items()}
    if any(raw[name] is not None and parsed[name] is None for name in raw):
        return None
    limit, remaining, reset, window = (parsed[n] for n in ("Limit", "Remaining", "Reset", "Window"))
    return RateObservation(
        limit=math.floor(limit) if limit is not None else None,
        remaining=math.floor(remaining) if remaining is not None else None,
        reset_at=float(reset) if reset is not None else None,
        window=float(window) if window is not None else None,
        request_class="read" if response.method.upper() in {"GET", "HEAD"} else "write",
    )
