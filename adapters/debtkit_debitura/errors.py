"""Debitura's error bodies, sniffed and mapped onto debtkit's neutral error tree.

Debitura answers errors in several shapes (fact sheet §9), all recognised here:

1. a field dictionary ``{"debtor.email": ["…"]}`` (keys camelCase or PascalCase);
2. ASP.NET ``ValidationProblemDetails`` ``{type, title, status, errors: {…}, traceId}``;
3. ``ProblemDetails`` ``{type, title, status, detail, instance}``;
4. ``ApiErrorResponseDto`` ``{error, message, businessErrors: [{type, message, solutionUrl}]}``;
5. the 422 ``BusinessErrorResponseApiDTO`` ``{businessErrors, signingHandoff}``;
6. the legacy ``{"BusinessRule": ["…"]}``;
7. the 429 ``{error, message, retryAfter}``;
8. an empty body.

Field paths come back as neutral paths (``amountToRecover`` → ``amount``). A duplicate
creditorReference becomes `DuplicateError`, whether it arrives as a 400 (the "Create a Case"
page) or as a 422 ``DuplicateCreditorReference`` business error (anticipated by Debitura's MCP
server). Provider messages are kept on the error's `message` and `problems`, never in `str()`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import re
from collections.abc import Mapping
from typing import Any

import attrs

from debtkit.errors import (
    APIStatusError,
    BusinessRuleError,
    DuplicateError,
    Problem,
    RateLimitedError,
    error_for_status,
)
from debtkit.transport import Response
from debtkit_debitura.mapping import PROVIDER

__all__ = ["DUPLICATE_TYPES", "neutral_path", "parse_error", "retry_after"]

DUPLICATE_TYPES = frozenset({"DuplicateReference", "DuplicateCreditorReference"})
_LEGACY_KEY = "BusinessRule"

# Wire field path (camelCase) → neutral path.
_PATHS: Mapping[str, str] = {
    "currencyCode": "currency",
    "amountToRecover": "amount",
    "amountToRecoverOver6Months": "overdue.over_6_months",
    "amountToRecoverOver12Months": "overdue.over_12_months",
    "amountToRecoverOver24Months": "overdue.over_24_months",
    "date": "invoice_date",
    "dueDate": "due_date",
    "creditorReference": "creditor_reference",
    "claimDescription": "description",
    "comments": "notes",
    "debtor": "debtor",
    "debtor.type": "debtor.kind",
    "debtor.name": "debtor.name",
    "debtor.contactPerson": "debtor.contact_person",
    "debtor.companyRegistrationNumber": "debtor.registration_number",
    "debtor.address": "debtor.address.street",
    "debtor.zipCode": "debtor.address.postal_code",
    "debtor.city": "debtor.address.city",
    "debtor.state": "debtor.address.state",
    "debtor.stateAlpha2": "debtor.address.state",
    "debtor.countryAlpha2": "debtor.address.country",
    "debtor.country": "debtor.address.country",
    "debtor.email": "debtor.email",
    "debtor.phone": "debtor.phone",
    "creditorDivisionId": "options.debitura.creditor_division_id",
    "collectionPartnerId": "options.debitura.collection_partner_id",
    "assignedUserEmail": "options.debitura.assigned_user_email",
    "returnUrl": "options.debitura.return_url",
    "skipDebituraVerification": "options.debitura.skip_debitura_verification",
    "allowPendingContracts": "options.debitura.allow_pending_contracts",
    "isTest": "options.debitura.is_test",
    "tag": "options.debitura.tag",
    "idempotencyKey": "idempotency_key",
}
_INDEX = re.compile(r"\[\d+\]")


def neutral_path(key: str) -> str:
    """A Debitura field key as a neutral path: ``Debtor.ZipCode``, ``$.debtor.zipCode`` and
    ``debtor.zipCode`` all become ``debtor.address.postal_code``.

    Unknown fields keep their (camelCased) wire path; body-level keys become the root path.
    """
    text = _INDEX.sub("", key.strip())
    text = text.removeprefix("$").lstrip(".")
    if text.casefold() in {"", "request", "body", "model"}:
        return ""
    parts = [p.replace("-", "") for p in text.split(".") if p]
    camel = ".".join(p[:1].lower() + p[1:] for p in parts)
    return _PATHS.get(camel, camel)


def _is_duplicate_text(text: str) -> bool:
    folded = text.casefold()
    return "duplicate" in folded or "already exists" in folded


def _field_problems(fields: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for key, messages in fields.items():
        path = neutral_path(str(key))
        texts = messages if isinstance(messages, list) else [messages]
        for text in texts:
            message = str(text)
            duplicate = path == "creditor_reference" and _is_duplicate_text(message)
            problems.append(Problem(path, "duplicate" if duplicate else "rejected", message))
    return problems


@attrs.frozen
class _BusinessError:
    type: str | None
    message: str | None
    solution_url: str | None


def _business_errors(items: object) -> list[_BusinessError]:
    if not isinstance(items, list):
        return []
    return [
        _BusinessError(
            type=_text(item.get("type")),
            message=_text(item.get("message")),
            solution_url=_text(item.get("solutionUrl")),
        )
        for item in items
        if isinstance(item, Mapping)
    ]


def _text(value: object) -> str | None:
    return str(value) if value is not None and value != "" else None


def _is_field_dictionary(body: Mapping[str, Any]) -> bool:
    return bool(body) and all(
        isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body.values()
    )


def retry_after(response: Response) -> float | None:
    """Seconds to wait: the body's ``retryAfter`` first, then a ``Retry-After`` header
    (seconds or an HTTP date)."""
    body = response.body
    if isinstance(body, Mapping) and _numeric(body.get("retryAfter")):
        return max(float(body["retryAfter"]), 0.0)
    header = (response.headers.get("Retry-After") or "").strip()
    if _numeric(header):
        return max(float(header), 0.0)
    if header:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return max((when - dt.datetime.now(dt.timezone.utc)).total_seconds(), 0.0)
    return None


def _numeric(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return not math.isnan(number)  # an infinite wait is a wait past any cap, not no wait


def parse_error(response: Response) -> APIStatusError:
    """The neutral error for a non-2xx Debitura response, whatever its body's shape."""
    body = response.body if isinstance(response.body, Mapping) else {}
    common: dict[str, Any] = {
        "provider": PROVIDER,
        "method": response.method,
        "path": response.path,
        "status": response.status,
        "request_id": response.request_id,
        "body": response.body,
        "headers": response.headers,
    }
    if response.status == 429:
        message = _text(body.get("message")) or "rate limit exceeded"
        return RateLimitedError(message, retry_after=retry_after(response), **common)

    problems: list[Problem] = []
    business = _business_errors(body.get("businessErrors"))
    text = _text(body.get("message")) or _text(body.get("detail")) or _text(body.get("title"))
    handoff = body.get("signingHandoff")
    signing_url = _text(handoff.get("combinedSigningUrl")) if isinstance(handoff, Mapping) else None

    if isinstance(body.get("errors"), Mapping):  # ValidationProblemDetails
        problems = _field_problems(body["errors"])
    elif _LEGACY_KEY in body and isinstance(body[_LEGACY_KEY], list):
        business = [_BusinessError(_LEGACY_KEY, str(m), None) for m in body[_LEGACY_KEY]]
    elif _is_field_dictionary(body):
        problems = _field_problems(body)
    error_code = _text(body.get("error"))
    problems.extend(Problem("", b.type or "business_error", b.message or "") for b in business)
    text = text or next((b.message for b in business if b.message), None)
    message = text or next((p.message for p in problems), None) or f"HTTP {response.status}"

    duplicate = next((b for b in business if b.type in DUPLICATE_TYPES), None)
    if (
        duplicate is not None
        or error_code in DUPLICATE_TYPES
        or any(p.code == "duplicate" for p in problems)
    ):
        return DuplicateError(message, reference=None, problems=problems, **common)
    if response.status == 422:
        first = business[0] if business else _BusinessError(error_code, message, None)
        return BusinessRuleError(
            message,
            error_type=first.type,
            solution_url=first.solution_url or signing_url,
            problems=problems,
            **common,
        )
    return error_for_status(response.status)(message, problems=problems, **common)
