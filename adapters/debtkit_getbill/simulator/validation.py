"""GetBill's server-side debt validation, as the create, batch and update pages describe it.

Written independently of the adapter's local rules (it checks the wire body with
phonenumbers, schwifty and pycountry directly), so the adapter's tests against the
simulator catch a disagreement instead of hiding it. Messages are the documented ones where
the docs give them ("First name is required", "phone number too short"...).

Readings where the docs are open (the adapter follows the same ones):
- unknown fields are refused with 400, to catch adapter typos (the real API may ignore them);
- "at least one of phone or email must be valid": a debt whose phone is invalid but whose
  email is valid is accepted, and the invalid phone is not stored (and vice versa);
- ``069X`` numbers are read as French (+33), which makes them invalid ("number format is not
  valid"): the docs only say they are not supported;
- due date must be strictly after the invoice date;
- every destination costing more than France needs ``accept_expensive_destination``,
  on create and (INFERRED) when an update changes the phone;
- update accepts dates as ``YYYY-MM-DD`` or ISO 8601 and stores the day; ``metadata: null``
  clears, and ``null`` clears other optional fields too (names, amount and currency excepted).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import phonenumbers
import pycountry
import schwifty
from phonenumbers import NumberParseException, ValidationResult

from debtkit_getbill.destinations import Destination, destination_for

__all__ = [
    "BOOL_FIELDS",
    "CREATE_FIELDS",
    "UPDATE_FIELDS",
    "WRITABLE_STATUSES",
    "Checked",
    "amount_text",
    "check_create",
    "check_update",
    "is_placeholder",
    "new_record",
]

_TEXT_FIELDS = (
    "firstname", "lastname", "civility", "phone", "email", "currency", "object", "internal_id",
    "invoice_reference", "debtor_reference", "address", "iban", "company", "debtor_company",
    "street_address", "street_number", "postal_code", "city", "country", "payment_link",
    "timeline_id", "timeline_start_mode",
)  # fmt: skip
_DATE_FIELDS = ("birthdate", "invoice_date", "due_date")
# civility_completion / email_validation: ASSUMED names, the same the adapter sends.
BOOL_FIELDS = ("accept_expensive_destination", "civility_completion", "email_validation")
CREATE_FIELDS = frozenset({*_TEXT_FIELDS, *_DATE_FIELDS, *BOOL_FIELDS, "amount", "metadata"})
UPDATE_FIELDS = frozenset(
    {*_TEXT_FIELDS, *_DATE_FIELDS, "amount", "metadata", "status", "accept_expensive_destination"}
    - {"timeline_start_mode"}
)
WRITABLE_STATUSES = frozenset(
    {
        "status.default.paid",
        "status.default.in_progress",
        "status.default.on_hold",
        "status.default.failed",
        "status.default.archived",
    }
)
_RECORD_FIELDS = (
    "civility", "firstname", "lastname", "phone", "email", "birthdate", "amount", "amount_text",
    "currency", "object", "internal_id", "invoice_reference", "debtor_reference", "invoice_date",
    "due_date", "address", "street_address", "street_number", "postal_code", "city", "country",
    "status", "timeline_id", "nb_reminders", "nb_answered", "summary", "iban", "followups_count",
    "company", "debtor_company", "payment_link", "metadata", "import_date",
    "last_timeline_restart", "payment_plan_active", "plan_start_date", "contacts",
)  # fmt: skip
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")
_PARSE_MESSAGES = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid country code",
    NumberParseException.TOO_SHORT_AFTER_IDD: "phone number too short",
    NumberParseException.TOO_SHORT_NSN: "phone number too short",
    NumberParseException.TOO_LONG: "phone number too long",
}
_POSSIBLE_MESSAGES = {
    ValidationResult.INVALID_COUNTRY_CODE: "invalid country code",
    ValidationResult.TOO_SHORT: "phone number too short",
    ValidationResult.TOO_LONG: "phone number too long",
}


@attrs.frozen
class Checked:
    errors: dict[str, list[str]]  # GetBill's ``details`` map
    values: dict[str, Any]  # the accepted, normalised fields
    expensive: Destination | None = None  # a destination needing the opt-in it lacks


def amount_text(amount: Decimal) -> str:
    cents = amount.quantize(Decimal("0.01"))
    return format(cents if cents == amount else amount, "f")


def _phone(value: str) -> tuple[str | None, str | None, str | None]:
    """(E.164, region, error message) for a phone, reading national numbers as French."""
    try:
        parsed = phonenumbers.parse(value, "FR")
    except NumberParseException as exc:
        return None, None, _PARSE_MESSAGES.get(exc.error_type, "number format is not valid")
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason in _POSSIBLE_MESSAGES:
        return None, None, _POSSIBLE_MESSAGES[reason]
    if not phonenumbers.is_valid_number(parsed):
        return None, None, "number format is not valid"
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_number(parsed), None


def _country(value: str, *, names: bool) -> str | None:
    text = value.strip()
    found = pycountry.countries.get(alpha_2=text.upper()) if len(text) == 2 else None
    if found is None and names and len(text) > 3:
        try:
            found = pycountry.countries.lookup(text)
        except LookupError:
            found = None
    return str(found.alpha_2) if found is not None else None


def _date(value: str, *, iso: bool) -> str | None:
    if not (_ISO if iso else _DAY).fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


class _Check:
    def __init__(self, body: Mapping[str, Any], allowed: frozenset[str], *, update: bool) -> None:
        self.body = body
        self.update = update
        self.errors: dict[str, list[str]] = {}
        self.values: dict[str, Any] = {}
        self.region: str | None = None  # the phone's region, once checked
        for key in body:
            if key not in allowed:
                self.fail(key, "Unknown field")

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def given(self, field: str) -> bool:
        return field in self.body and field not in self.errors

    def run(self) -> Checked:
        for field in _TEXT_FIELDS:
            if self.given(field) and self.body[field] is not None:
                if not isinstance(self.body[field], str):
                    self.fail(field, "Must be a string")
                else:
                    self.values[field] = self.body[field].strip() or None
            elif self.given(field) and self.update:
                self.values[field] = None
        for field in BOOL_FIELDS:
            if self.given(field) and not isinstance(self.body[field], bool):
                self.fail(field, "Must be a boolean")
        self._names()
        self._amount_and_currency()
        self._contact()
        self._dates()
        self._others()
        return Checked(self.errors, self.values, self._expensive())

    def _names(self) -> None:
        for field, label in (("firstname", "First name"), ("lastname", "Last name")):
            checked = (not self.update or field in self.body) and field not in self.errors
            if checked and not self.values.get(field):
                self.fail(field, f"{label} is required")

    def _amount_and_currency(self) -> None:
        if not self.update or "amount" in self.body:
            amount = self.body.get("amount")
            if isinstance(amount, bool) or not isinstance(amount, (int, Decimal)) or amount <= 0:
                self.fail("amount", "Valid amount is required")
            else:
                self.values["amount"] = Decimal(amount)
        if not self.update or "currency" in self.body:
            code = (self.values.get("currency") or "").upper()
            if "currency" in self.errors:
                return
            if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
                self.fail("currency", "Valid currency is required")
            else:
                self.values["currency"] = code

    def _contact(self) -> None:
        phone, email = self.values.get("phone"), self.values.get("email")
        phone_error = email_error = None
        if phone:
            e164, self.region, phone_error = _phone(phone)
            self.values["phone"] = e164
        if email and not _EMAIL.fullmatch(email):
            email_error = "Invalid email format"
            self.values["email"] = None
        if self.update:  # each given field must be valid on its own
            if phone_error:
                self.fail("phone", phone_error)
            if email_error:
                self.fail("email", email_error)
            return
        valid = (phone and not phone_error) or (email and not email_error)
        if not phone and not email and "phone" not in self.errors and "email" not in self.errors:
            self.fail("phone", "Phone number is required")
        elif not valid:
            if phone_error:
                self.fail("phone", phone_error)
            if email_error:
                self.fail("email", email_error)

    def _dates(self) -> None:
        for field in _DATE_FIELDS:
            value = self.body.get(field) if self.given(field) else None
            if value is None:
                if self.given(field) and self.update:
                    self.values[field] = None
                continue
            day = _date(value, iso=self.update) if isinstance(value, str) else None
            if day is None:
                hint = "YYYY-MM-DD or ISO 8601" if self.update else "YYYY-MM-DD"
                self.fail(field, f"Invalid date format. Use {hint}")
            else:
                self.values[field] = day
        invoice, due = self.values.get("invoice_date"), self.values.get("due_date")
        if invoice and due and due <= invoice:
            self.fail("due_date", "Due date must be after invoice date")

    def _others(self) -> None:
        civility = self.values.get("civility")
        if civility is not None and civility not in ("Mr", "Ms"):
            self.fail("civility", "Civility must be Mr or Ms")
        if self.values.get("iban"):
            try:
                self.values["iban"] = str(schwifty.IBAN(self.values["iban"]).compact)
            except schwifty.exceptions.SchwiftyException:
                self.fail("iban", "Invalid IBAN")
        if self.values.get("country"):
            country = _country(self.values["country"], names=self.update)
            if country is None:
                self.fail("country", "Invalid country code")
            self.values["country"] = country
        mode = self.values.get("timeline_start_mode")
        if mode is not None and mode not in ("immediate", "next_day"):
            self.fail("timeline_start_mode", "Must be immediate or next_day")
        if self.given("metadata"):
            metadata = self.body["metadata"]
            if metadata is not None and not isinstance(metadata, Mapping):
                self.fail("metadata", "Metadata must be an object")
            else:
                self.values["metadata"] = dict(metadata) if metadata is not None else None
        if self.given("status"):
            if self.body["status"] not in WRITABLE_STATUSES:
                self.fail("status", "This status cannot be set via the API")
            else:
                self.values["status"] = self.body["status"]

    def _expensive(self) -> Destination | None:
        if self.errors or not self.values.get("phone"):
            return None
        if self.body.get("accept_expensive_destination") is True:
            return None
        destination = destination_for(self.region)
        return destination if destination is not None and destination.expensive else None


def check_create(body: Mapping[str, Any]) -> Checked:
    """Validate a create body (a batch item without its ``temp_id``)."""
    return _Check(body, CREATE_FIELDS, update=False).run()


def check_update(body: Mapping[str, Any]) -> Checked:
    return _Check(body, UPDATE_FIELDS, update=True).run()


def is_placeholder(body: Mapping[str, Any]) -> bool:
    """Template rows GetBill skips: ``*`` names or "champs obligatoires" text."""
    for value in body.values():
        if isinstance(value, str) and (
            value.strip() == "*" or "champs obligatoires" in value.lower()
        ):
            return True
    return False


def new_record(values: Mapping[str, Any], *, debt_id: str, import_date: str) -> dict[str, Any]:
    """A debt as GetBill returns it, every documented field present."""
    record: dict[str, Any] = dict.fromkeys(_RECORD_FIELDS)
    record.update({k: v for k, v in values.items() if k in record})
    record.update(
        id=debt_id,
        amount_text=amount_text(values["amount"]),
        status="status.default.pending",
        nb_reminders=0,
        nb_answered=0,
        followups_count=0,
        import_date=import_date,
        payment_plan_active=False,
        contacts=[],
    )
    return {"id": record.pop("id"), **record}
