"""Mapping between debtkit's model and GetBill's debt wire format.

`Debt` -> create body (``POST /debts``, and each item of ``POST /debts/batch``):

=========================================  ==========================================
debtkit                                    GetBill
=========================================  ==========================================
debtor.first_name / last_name (person)     firstname / lastname
debtor.contact_person names (company)      firstname / lastname
debtor.company_name (company debtor only)  debtor_company
debtor.civility / phone / email            civility / phone (E.164) / email
debtor.birth_date                          birthdate (YYYY-MM-DD)
debtor.reference                           debtor_reference
debtor.address.full / street / number      address / street_address / street_number
debtor.address.postal_code / city / country  postal_code / city / country (alpha-2)
amount, currency                           amount (JSON number, exact), currency
creditor_reference                         internal_id
invoice_reference                          invoice_reference
description                                object
invoice_date, due_date                     invoice_date, due_date (YYYY-MM-DD)
iban, payment_link                         iban, payment_link
creditor_name                              company (agencies collecting for a client)
metadata                                   metadata (sent only when not empty)
options["getbill"]                         timeline_id, timeline_start_mode,
                                           accept_expensive_destination, and the ASSUMED
                                           civility_completion, email_validation
=========================================  ==========================================

Not sent, because GetBill has no field for them: ``notes``, ``overdue`` (age breakdown),
``debtor.registration_number``, ``debtor.address.state``, ``debtor.kind`` itself (expressed only
through ``debtor_company``), a person debtor's ``company_name`` and ``contact_person``, and a
company debtor's own ``first_name``/``last_name`` (the contact person's names are used).

GetBill debt -> `Case`: ``id`` -> provider_id, ``internal_id`` -> creditor_reference, amount from
``amount_text`` (exact cents) else ``amount``, ``import_date`` -> created_at (aware UTC), status
through `STATUS_MAP` (custom statuses become UNKNOWN, the string is kept in provider_status),
and the whole record, unknown fields included, in ``raw``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn

from debtkit import Case, CaseStatus, Debt, DebtorKind, Problem, ValidationError
from debtkit.validation import require_types
from debtkit_getbill.options import PROVIDER, GetBillOptions

__all__ = [
    "PENDING",
    "STATUS_MAP",
    "WRITABLE_STATUSES",
    "DebtPayload",
    "case_from_record",
    "debt_payload",
    "structure_datetime",
    "structure_decimal",
    "unstructure",
]

PENDING = "status.default.pending"
STATUS_MAP: Mapping[str, CaseStatus] = {
    "status.default.pending": CaseStatus.PENDING,
    "status.default.in_progress": CaseStatus.IN_PROGRESS,
    "status.default.processing": CaseStatus.IN_PROGRESS,
    "status.default.on_hold": CaseStatus.ON_HOLD,
    "status.default.settled": CaseStatus.PAYMENT_PLAN,
    "status.default.paid": CaseStatus.PAID,
    "status.default.partial": CaseStatus.PARTIALLY_PAID,
    "status.default.failed": CaseStatus.CLOSED_UNPAID,
    "status.default.refused": CaseStatus.CLOSED_UNPAID,
    "status.default.archived": CaseStatus.ARCHIVED,
    "status.default.invalid_phone": CaseStatus.ACTION_REQUIRED,
}
# The only statuses ``PUT /debts/{id}`` may set; the rest belong to GetBill's workflows.
WRITABLE_STATUSES = (
    "status.default.paid",
    "status.default.in_progress",
    "status.default.on_hold",
    "status.default.failed",
    "status.default.archived",
)


@attrs.frozen
class DebtPayload:
    """GetBill's create body, fields in the order of the create-debt page; None is omitted."""

    firstname: str | None = None
    lastname: str | None = None
    civility: str | None = None
    phone: str | None = None
    email: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    birthdate: dt.date | None = None
    object: str | None = None
    internal_id: str | None = None
    invoice_reference: str | None = None
    debtor_reference: str | None = None
    invoice_date: dt.date | None = None
    due_date: dt.date | None = None
    address: str | None = None
    iban: str | None = None
    company: str | None = None
    debtor_company: str | None = None
    street_address: str | None = None
    street_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    payment_link: str | None = None
    timeline_id: str | None = None
    timeline_start_mode: str | None = None
    metadata: Mapping[str, Any] | None = None
    accept_expensive_destination: bool | None = None
    civility_completion: bool | None = None  # ASSUMED wire name, see options.py
    email_validation: bool | None = None  # ASSUMED wire name, see options.py
    temp_id: str | None = None  # batch items only: correlates results with inputs


@attrs.frozen
class _WireDebt:
    """The fields of a GetBill debt that `Case` needs; everything else stays in ``raw``."""

    id: str
    status: str | None = None
    internal_id: str | None = None
    amount: Decimal | None = None
    amount_text: str | None = None
    currency: str | None = None
    import_date: dt.datetime | None = None


def structure_decimal(value: object, _: type) -> Decimal:
    # Response bodies parsed by debtkit carry Decimal/int; a float only appears when a caller
    # hands in data parsed elsewhere, and its shortest repr is the best reading left.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        raise TypeError("must be a number")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("is not a number") from None
    if not result.is_finite():
        raise ValueError("must be finite")
    return result


def structure_datetime(value: object, _: type) -> dt.datetime:
    if not isinstance(value, str):
        raise TypeError("must be an ISO 8601 string")
    parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "T"))
    if parsed.tzinfo is None:  # GetBill's debts carry offsets; naive times are read as UTC
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _structure_str(value: object, _: type) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError("must be a string")
    return str(value)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_structure_hook(Decimal, structure_decimal)
    conv.register_structure_hook(dt.datetime, structure_datetime)
    conv.register_structure_hook(str, _structure_str)
    conv.register_unstructure_hook(Decimal, lambda value: value)  # jsonutil writes it exactly
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_unstructure_hook_factory(
        attrs.has, lambda cl: make_dict_unstructure_fn(cl, conv, _cattrs_omit_if_default=True)
    )
    return conv


_converter = _make_converter()


def unstructure(obj: Any) -> Any:
    return _converter.unstructure(obj)


def _text(value: str | None) -> str | None:
    """Empty strings are not sent (GetBill: "leave this field empty")."""
    return value if value is not None and value.strip() else None


def debt_payload(
    debt: Debt, *, temp_id: str | None = None, types_checked: bool = False
) -> DebtPayload:
    """The create body for a (validated) debt; `ValidationError` if its options are wrong.
    `types_checked`: `debt` came out of a `Validator`, whose type gate it passed."""
    if not types_checked:
        require_types(debt)  # callers may hand over a debt built in code, never validated
    debtor = debt.debtor
    options = GetBillOptions.of(debt)
    if debtor.kind is DebtorKind.COMPANY:
        contact = debtor.contact_person
        first = contact.first_name if contact else None
        last = contact.last_name if contact else None
        company = debtor.company_name
    else:
        first, last, company = debtor.first_name, debtor.last_name, None
    address = debtor.address
    return DebtPayload(
        firstname=_text(first),
        lastname=_text(last),
        civility=_text(debtor.civility),
        phone=_text(debtor.phone),
        email=_text(debtor.email),
        amount=debt.amount,
        currency=debt.currency,
        birthdate=debtor.birth_date,
        object=_text(debt.description),
        internal_id=debt.creditor_reference,
        invoice_reference=_text(debt.invoice_reference),
        debtor_reference=_text(debtor.reference),
        invoice_date=debt.invoice_date,
        due_date=debt.due_date,
        address=_text(address.full) if address else None,
        iban=_text(debt.iban),
        company=_text(debt.creditor_name),
        debtor_company=_text(company),
        street_address=_text(address.street) if address else None,
        street_number=_text(address.number) if address else None,
        postal_code=_text(address.postal_code) if address else None,
        city=_text(address.city) if address else None,
        country=_text(address.country) if address else None,
        payment_link=_text(debt.payment_link),
        timeline_id=options.timeline_id,
        timeline_start_mode=options.timeline_start_mode,
        metadata=dict(debt.metadata) or None,
        accept_expensive_destination=options.accept_expensive_destination,
        civility_completion=options.civility_completion,
        email_validation=options.email_validation,
        temp_id=temp_id,
    )


def _amount(record: _WireDebt) -> Decimal | None:
    if record.amount_text:
        try:
            return structure_decimal(record.amount_text, Decimal)
        except (TypeError, ValueError):
            pass
    return record.amount


def case_from_record(record: Mapping[str, Any]) -> Case:
    """A GetBill debt object as a `Case`; `ValidationError` if it lacks an id or is malformed."""
    if not isinstance(record, Mapping):
        raise ValidationError([Problem("", "type", "must be an object")], subject="GetBill debt")
    try:
        wire = _converter.structure(record, _WireDebt)
    except Exception as exc:
        raise ValidationError(_problems(exc), subject="GetBill debt") from None
    status = wire.status
    return Case(
        provider=PROVIDER,
        provider_id=wire.id,
        status=STATUS_MAP.get(status, CaseStatus.UNKNOWN) if status else CaseStatus.UNKNOWN,
        provider_status=status,
        creditor_reference=wire.internal_id,
        amount=_amount(wire),
        currency=wire.currency,
        created_at=wire.import_date,
        raw=record,
    )


def _problems(exc: BaseException) -> list[Problem]:
    found: list[Problem] = []
    for sub in getattr(exc, "exceptions", ()):
        names = [n.name for n in getattr(sub, "__notes__", ()) if hasattr(n, "name")]
        found.append(Problem(names[0] if names else "", "invalid", "has an invalid value"))
    return found or [Problem("", "invalid", "is not a GetBill debt")]
