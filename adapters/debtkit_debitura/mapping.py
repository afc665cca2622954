"""Translating between the neutral model and Debitura's wire shapes.

- `create_request`: `Debt` → ``CreateCollectionCaseRequestApiViewModel``;
- `preview_request`: `Debt` → ``PreviewCaseRequestApiViewModel``;
- `to_case`: ``InvoiceDto`` → `Case`, with `case_status` mapping Debitura's lifecycle (enum
  name or human label, current or older wording, any case) and close code onto `CaseStatus`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs
import pycountry

from debtkit.errors import Problem, ValidationError
from debtkit.model import Address, Case, CaseStatus, Debt, Debtor, DebtorKind
from debtkit.validation import require_types
from debtkit.validation.rules import RuleViolation, resolve_country, resolve_state
from debtkit_debitura.options import OPTIONS_KEY, DebituraOptions, parse_options
from debtkit_debitura.wire import (
    CreateCaseRequest,
    DebtorPayload,
    InvoiceRecord,
    PreviewDebtorPayload,
    PreviewRequest,
    converter,
)

__all__ = [
    "LIFECYCLES",
    "PROVIDER",
    "case_status",
    "create_request",
    "drop_nulls",
    "options_of",
    "preview_request",
    "to_case",
]

PROVIDER = "debitura"


_NOT_ALNUM = re.compile(r"[^0-9a-z]")


def _key(label: str) -> str:
    return _NOT_ALNUM.sub("", label.casefold())


# Lifecycle filter name → (current label, older labels, neutral status). From the fact sheet's
# lifecycle table (debitura-api.md §7); filters take the names, responses carry the labels.
LIFECYCLES: Mapping[str, tuple[str, tuple[str, ...], CaseStatus]] = {
    "PendingContractSigning": ("Pending contract signing", (), CaseStatus.ACTION_REQUIRED),
    "PendingVerificationInternal": ("Pending Verification Internal", (), CaseStatus.PENDING),
    "PendingVerification": ("Pending Verification", (), CaseStatus.PENDING),
    "NeedsAdditionalDetails": ("More Info Required", (), CaseStatus.ACTION_REQUIRED),
    "Leads": ("Collecting Quotes", ("Pending quote by partner",), CaseStatus.PENDING),
    "LeadsQuoteGiven": (
        "Pending Quote Selection",
        ("Quote given by partner",),
        CaseStatus.ACTION_REQUIRED,
    ),
    "Active": ("Active", (), CaseStatus.IN_PROGRESS),
    "Paused": ("Paused", (), CaseStatus.ON_HOLD),
    "Closed": ("Closed", (), CaseStatus.CLOSED_UNPAID),  # refined by the close code
    "Merged": ("Merged", (), CaseStatus.ARCHIVED),
}

_EXACT: Mapping[str, str] = {
    text: name for name, (label, older, _) in LIFECYCLES.items() for text in (name, label, *older)
}
_BY_KEY: Mapping[str, str] = {_key(text): name for text, name in _EXACT.items()}

# Close codes with an outcome other than "closed without recovering money".
_CLOSE_CODES: Mapping[str, CaseStatus] = {
    _key("Paid"): CaseStatus.PAID,
    _key("Partially paid"): CaseStatus.PARTIALLY_PAID,
    _key("Withdrawn by Client"): CaseStatus.WITHDRAWN,
}


def lifecycle_name(label: str) -> str | None:
    """The filter name (``PendingContractSigning``) for a lifecycle name or label, if known."""
    # Responses carry the labels exactly; only what people type needs folding.
    return _EXACT.get(label) or _BY_KEY.get(_key(label))


def case_status(lifecycle: str | None, close_code: str | None = None) -> CaseStatus:
    name = lifecycle_name(lifecycle or "")
    if name is None:
        return CaseStatus.UNKNOWN
    status = LIFECYCLES[name][2]
    if name == "Closed" and close_code:
        return _CLOSE_CODES.get(_key(close_code), CaseStatus.CLOSED_UNPAID)
    return status


def drop_nulls(value: Any) -> Any:
    """A copy without null members: Debitura sends null for "absent" (lists included)."""
    if isinstance(value, Mapping):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def to_case(record: Mapping[str, Any]) -> Case:
    """An ``InvoiceDto`` as a neutral `Case`; the payload is kept whole in `Case.raw`."""
    try:
        # Every field is optional, so nulls structure as absent without copying the record.
        invoice = converter.structure(record, InvoiceRecord)
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError):
        problem = Problem("", "invalid_response", "is not a Debitura InvoiceDto with an id")
        raise ValidationError([problem], subject="Debitura case") from None
    provider_status = invoice.lifecycle
    if invoice.close_code and invoice.lifecycle:
        provider_status = f"{invoice.lifecycle}:{invoice.close_code}"
    handoff = invoice.signing_handoff
    return Case(
        provider=PROVIDER,
        provider_id=invoice.id,
        status=case_status(invoice.lifecycle, invoice.close_code),
        provider_status=provider_status,
        reference=invoice.reference,
        creditor_reference=invoice.creditor_reference,
        amount=invoice.gross_amount,
        currency=invoice.currency,
        created_at=invoice.date_created,
        updated_at=invoice.date_updated,
        action_url=invoice.solution_url or (handoff.combined_signing_url if handoff else None),
        raw=record,
    )


# ---------------------------------------------------------------------------------------------
# Debt → wire


def options_of(debt: Debt) -> DebituraOptions:
    """The debt's typed Debitura options; `ValidationError` if they do not parse."""
    options, problems = parse_options(debt.options.get(OPTIONS_KEY))
    if problems:
        raise ValidationError(problems)
    return options


def _country(address: Address) -> tuple[str | None, str | None]:
    """(countryAlpha2, country name): the code whenever it resolves, else the text as given."""
    if not address.country:
        return None, None
    try:
        return resolve_country(address.country), None
    except RuleViolation:
        return None, address.country


def _state(address: Address, country: str | None) -> tuple[str | None, str | None]:
    """(state name, stateAlpha2). stateAlpha2 is sent for US debtors only, as two letters."""
    if not address.state:
        return None, None
    code = resolve_state(address.state, country) if country else None
    if code is None:
        return address.state, None
    subdivision = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    name = str(subdivision.name) if subdivision is not None else address.state
    return name, (code.split("-", 1)[1] if country == "US" else None)


def _street(address: Address) -> str | None:
    line = " ".join(part.strip() for part in (address.street, address.number) if part)
    return line or address.full


def debtor_name(debtor: Debtor) -> str:
    if debtor.kind is DebtorKind.COMPANY:
        return (debtor.company_name or "").strip()
    return " ".join(p.strip() for p in (debtor.first_name, debtor.last_name) if p and p.strip())


def debtor_type(debtor: Debtor) -> str:
    return "Company" if debtor.kind is DebtorKind.COMPANY else "Private"


def _debtor(debtor: Debtor) -> DebtorPayload:
    address = debtor.address or Address()
    alpha2, country_name = _country(address)
    state, state_alpha2 = _state(address, alpha2)
    company = debtor.kind is DebtorKind.COMPANY
    contact = debtor.contact_person.name if company and debtor.contact_person else None
    return DebtorPayload(
        type=debtor_type(debtor),
        name=debtor_name(debtor),
        contact_person=contact,
        company_registration_number=debtor.registration_number if company else None,
        address=_street(address),
        zip_code=address.postal_code,
        city=address.city,
        state=state,
        state_alpha2=state_alpha2,
        country_alpha2=alpha2,
        country=country_name,
        email=debtor.email,
        phone=debtor.phone,
    )


def create_request(
    debt: Debt,
    *,
    allow_pending_contracts: bool | None = None,
    is_test: bool | None = None,
) -> dict[str, Any]:
    """The ``POST /cases`` body for a (validated) debt. Explicit arguments win over options.

    Not sent, because Debitura has no field for them: iban, payment_link, creditor_name,
    invoice_reference, metadata and the debtor's civility, birth date and own reference.
    """
    require_types(debt)  # callers may hand over a debt built in code, never validated
    options = options_of(debt)
    if allow_pending_contracts is not None:
        options = attrs.evolve(options, allow_pending_contracts=allow_pending_contracts)
    if is_test is not None:
        options = attrs.evolve(options, is_test=is_test)
    age = debt.overdue
    request = CreateCaseRequest(
        currency_code=debt.currency,
        amount_to_recover=debt.amount,
        debtor=_debtor(debt.debtor),
        date=debt.invoice_date,
        due_date=debt.due_date,
        amount_to_recover_over_6_months=age.over_6_months if age else None,
        amount_to_recover_over_12_months=age.over_12_months if age else None,
        amount_to_recover_over_24_months=age.over_24_months if age else None,
        creditor_reference=debt.creditor_reference,
        claim_description=debt.description,
        comments=debt.notes,
        **attrs.asdict(options),
    )
    body: dict[str, Any] = converter.unstructure(request)
    return body


def preview_request(debt: Debt) -> dict[str, Any]:
    """The ``POST /cases/preview`` body. The document makes ``dueDate`` and the age buckets
    mutually exclusive: with a breakdown the buckets are sent, otherwise the due date."""
    require_types(debt)
    options = options_of(debt)
    payload = _debtor(debt.debtor)
    age = debt.overdue
    request = PreviewRequest(
        amount_to_recover=debt.amount,
        currency_code=debt.currency,
        debtor=PreviewDebtorPayload(
            type=payload.type,
            country_alpha2=payload.country_alpha2 or "",
            state_alpha2=payload.state_alpha2,
        ),
        amount_to_recover_over_6_months=age.over_6_months if age else None,
        amount_to_recover_over_12_months=age.over_12_months if age else None,
        amount_to_recover_over_24_months=age.over_24_months if age else None,
        due_date=None if age else debt.due_date,
        return_url=options.return_url,
    )
    body: dict[str, Any] = converter.unstructure(request)
    return body
