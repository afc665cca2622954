"""The body of ``PUT /debts/{id}``: only the fields given, checked before sending.

Fields use GetBill's own names (the update page's list, plus ``invoice_reference`` and
``debtor_reference`` which its prose mentions). Whether PUT is partial is undocumented; the
response example reads like a partial update, so debtkit sends only what the caller gives
and the simulator keeps every other field.

- ``status``: only the five values the API may set (`WRITABLE_STATUSES`), given as
  ``"status.default.paid"``, ``"paid"`` or a `CaseStatus` with a writable counterpart
  (PAID, IN_PROGRESS, ON_HOLD, CLOSED_UNPAID -> failed, ARCHIVED); anything else is refused
  locally with a `ValidationError` at ``status``.
- ``metadata=None`` clears the metadata (documented). ``None`` for any other field is refused:
  the docs do not say a field can be cleared.
- Values get the same objective checks as on create (phone normalised to E.164, 069X refused,
  email, IBAN, currency, amount > 0, country, civility Mr/Ms, dates, due after invoice).
- A new phone in an expensive destination is refused unless ``accept_expensive_destination``
  is given; it is then sent in the body too. The docs list no such flag for PUT (open
  question); debtkit reads the create rule as applying to updates, and its simulator agrees.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import cattrs

from debtkit import CaseStatus, Problem, ValidationError
from debtkit.validation import RuleViolation, rules
from debtkit_getbill.destinations import phone_destination
from debtkit_getbill.rules import (
    CIVILITIES,
    OVERSEAS_MOBILE,
    expensive_destination_message,
    is_national_overseas_mobile,
)
from debtkit_getbill.wire import WRITABLE_STATUSES

__all__ = ["UPDATABLE_FIELDS", "update_body", "writable_status"]

_TEXT = (
    "firstname", "lastname", "civility", "phone", "email", "debtor_company", "address",
    "street_number", "street_address", "postal_code", "city", "country", "currency", "object",
    "internal_id", "invoice_reference", "debtor_reference", "status", "iban", "payment_link",
    "company", "timeline_id",
)  # fmt: skip
_DATES = ("birthdate", "invoice_date", "due_date")
UPDATABLE_FIELDS = frozenset({*_TEXT, *_DATES, "amount", "metadata"})

_CASE_TO_STATUS = {
    CaseStatus.PAID: "status.default.paid",
    CaseStatus.IN_PROGRESS: "status.default.in_progress",
    CaseStatus.ON_HOLD: "status.default.on_hold",
    CaseStatus.CLOSED_UNPAID: "status.default.failed",
    CaseStatus.ARCHIVED: "status.default.archived",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")
_NOT_WRITABLE = "GetBill lets the API set only: " + ", ".join(WRITABLE_STATUSES)


def writable_status(value: object) -> str | None:
    """The GetBill status string for `value`, or None if the API may not set it."""
    if isinstance(value, CaseStatus):
        return _CASE_TO_STATUS.get(value)
    if isinstance(value, str):
        full = value if value.startswith("status.") else f"status.default.{value}"
        return full if full in WRITABLE_STATUSES else None
    return None


def _structure_text(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError("must be a string")
    return value


def _structure_amount(value: object, _: type) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int, str)):
        raise TypeError("must be a Decimal, an int or a decimal string")
    return Decimal(value)


def _structure_date(value: object, _: type) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        dt.date.fromisoformat(value[:10])  # a real calendar day
        return value
    raise TypeError("must be a date, YYYY-MM-DD or ISO 8601")


_converter = cattrs.Converter()
_converter.register_structure_hook(str, _structure_text)
_converter.register_structure_hook(Decimal, _structure_amount)
_converter.register_structure_hook(dt.date, _structure_date)


class _Checks:
    def __init__(self, default_region: str, accept_expensive: bool) -> None:
        self.problems: list[Problem] = []
        self.region = default_region
        self.accept_expensive = accept_expensive

    def run(self, path: str, check: Any) -> Any:
        try:
            return check()
        except RuleViolation as exc:
            self.problems.append(Problem(path, exc.code, exc.message))
        except (TypeError, ValueError, ArithmeticError) as exc:
            self.problems.append(Problem(path, "type", str(exc) or "has an invalid value"))
        return None

    def ok(self, path: str, check: Any) -> bool:
        before = len(self.problems)
        self.run(path, check)
        return len(self.problems) == before

    def phone(self, value: str) -> str | None:
        if is_national_overseas_mobile(value):
            message = "GetBill does not support French overseas mobiles written as 069X..."
            self.problems.append(Problem("phone", OVERSEAS_MOBILE, message))
            return None
        e164: str | None = self.run("phone", lambda: rules.normalize_phone(value, self.region).e164)
        if e164 is not None and not self.accept_expensive:
            _, destination = phone_destination(e164)
            if destination is not None and destination.expensive:
                message = expensive_destination_message(destination)
                self.problems.append(Problem("phone", "expensive_destination", message))
        return e164


def update_body(
    fields: Mapping[str, Any],
    *,
    accept_expensive_destination: bool = False,
    default_region: str = "FR",
) -> dict[str, Any]:
    """The PUT body for `fields`, or `ValidationError` listing every problem."""
    if not fields:
        raise ValidationError([Problem("", "empty", "nothing to update")], subject="update")
    checks = _Checks(default_region, accept_expensive_destination)
    body: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in UPDATABLE_FIELDS:
            checks.problems.append(Problem(name, "unknown_field", "is not an updatable field"))
        elif value is None and name != "metadata":
            message = "cannot be cleared through the API (only metadata can be null)"
            checks.problems.append(Problem(name, "not_clearable", message))
        elif name == "metadata":
            if value is not None and not isinstance(value, Mapping):
                checks.problems.append(Problem(name, "type", "must be an object or None"))
            elif checks.ok(name, lambda v=value: rules.check_json_value(dict(v or {}))):
                body[name] = dict(value) if value is not None else None
        elif name == "status":
            status = writable_status(value)
            if status is None:
                checks.problems.append(Problem(name, "not_writable", _NOT_WRITABLE))
            else:
                body[name] = status
        elif name == "amount":
            amount = checks.run(name, lambda v=value: _converter.structure(v, Decimal))
            if amount is not None and checks.ok(name, lambda a=amount: rules.check_amount(a, None)):
                body[name] = amount
        elif name in _DATES:
            text = checks.run(name, lambda v=value: _converter.structure(v, dt.date))
            if text is not None:
                body[name] = text
        else:
            text = checks.run(name, lambda v=value: _converter.structure(v, str))
            if text is not None:
                body[name] = text
    if "country" in body:
        country = checks.run("country", lambda: rules.resolve_country(body["country"]))
        if country:
            body["country"] = checks.region = country
    _normalise(body, checks)
    if checks.problems:
        raise ValidationError(checks.problems, subject="update")
    if accept_expensive_destination and "phone" in body:
        body["accept_expensive_destination"] = True
    return body


def _normalise(body: dict[str, Any], checks: _Checks) -> None:
    if "phone" in body:
        body["phone"] = checks.phone(body["phone"])
    if "email" in body:
        body["email"] = checks.run("email", lambda: rules.check_email(body["email"]))
    if "iban" in body:
        body["iban"] = checks.run("iban", lambda: rules.normalize_iban(body["iban"]))
    if "currency" in body:
        body["currency"] = checks.run(
            "currency", lambda: rules.normalize_currency(body["currency"])
        )
    if "civility" in body and body["civility"] not in CIVILITIES:
        checks.problems.append(Problem("civility", "choice", "GetBill accepts only Mr or Ms"))
    for name in ("firstname", "lastname"):
        if name in body and not body[name].strip():
            checks.problems.append(Problem(name, "required", "must not be empty"))
    invoice, due = body.get("invoice_date"), body.get("due_date")
    if invoice and due and due[:10] <= invoice[:10]:
        checks.problems.append(Problem("due_date", "date_order", "must be after the invoice date"))
