"""Debitura's wire shapes and the one cattrs converter that reads and writes them.

Request models are strict and complete (every field `POST /cases` and `POST /cases/preview`
accept); response models carry only what the adapter maps, and structuring ignores unknown
keys, because Debitura evolves its API additively. Field names are snake_case here and
camelCase on the wire (``amount_to_recover_over_6_months`` ↔ ``amountToRecoverOver6Months``).

Dates: the OpenAPI document types ``date``/``dueDate`` as ``date-time`` while the "Create a
Case" page and the document's own example send ``2025-01-15``. We send midnight UTC
(``2025-01-15T00:00:00Z``): it is a valid RFC 3339 date-time, so it satisfies the schema, and
its date part is the invoice date in every reading. Timestamps that come back without a zone
are UTC (Debitura's read endpoints drop the ``Z``).
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = [
    "CreateCaseRequest",
    "CreditorProfile",
    "DebtorPayload",
    "InvoiceRecord",
    "Jurisdiction",
    "PageData",
    "PartnerAssignment",
    "PreviewDebtorPayload",
    "PreviewRequest",
    "PreviewResult",
    "PricingPreview",
    "RequiredAction",
    "SigningHandoff",
    "camel",
    "converter",
    "format_date",
    "parse_timestamp",
]


def camel(name: str) -> str:
    """``amount_to_recover_over_6_months`` → ``amountToRecoverOver6Months``."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def format_date(value: dt.date) -> str:
    return f"{value.isoformat()}T00:00:00Z"


# .NET writes up to 7 fraction digits; Python 3.10's fromisoformat takes exactly 3 or 6.
_FRACTION = re.compile(r"(T\d{2}:\d{2}:\d{2})\.(\d+)")


def _six_digits(match: re.Match[str]) -> str:
    return f"{match[1]}.{match[2][:6].ljust(6, '0')}"


def parse_timestamp(value: object) -> dt.datetime:
    """An aware UTC datetime from an ISO 8601 string; a naive one is read as UTC."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:  # Python 3.11+ reads Debitura's timestamps as they come
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            parsed = _parse_legacy(text)
    else:
        raise TypeError("a timestamp must be an ISO 8601 string")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _parse_legacy(text: str) -> dt.datetime:
    """Python 3.10's fromisoformat takes no "Z" and exactly 3 or 6 fraction digits."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(_FRACTION.sub(_six_digits, text))


def _structure_decimal(value: object, _: type) -> Decimal:
    # Responses arrive through debtkit.jsonutil (fractions as Decimal, integers as int); a
    # float from elsewhere is read through its shortest repr, never its binary value.
    if isinstance(value, bool):
        raise TypeError("an amount must be a number")
    if isinstance(value, (Decimal, int, str, float)):
        try:
            result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise ValueError("an amount must be a number") from None
        if result.is_finite():
            return result
    raise ValueError("an amount must be a finite number")


def _structure_str(value: object, cl: type[str]) -> str:
    # cattrs' default str() would read any JSON value as text (a list as "['x']", an object
    # as its repr): a wrong type in an answer must fail to read, not become an id. The hook
    # also receives str-based enums (a vocabulary): they are built from the string.
    if not isinstance(value, str):
        raise TypeError("must be a string")
    return value if cl is str else cl(value)


def _make_converter() -> cattrs.Converter:
    # Every caller turns a structuring failure into one "not a <shape>" problem, so cattrs'
    # detailed (and much slower) per-field error collection would go unread.
    conv = cattrs.Converter(detailed_validation=False)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_structure_hook(str, _structure_str)
    conv.register_unstructure_hook(Decimal, lambda v: v)  # debtkit.jsonutil writes it exactly
    conv.register_unstructure_hook(dt.date, format_date)
    conv.register_structure_hook(dt.datetime, lambda v, _: parse_timestamp(v))

    def unstructure_factory(cl: type) -> Callable[[Any], dict[str, Any]]:
        renames = {
            f.name: override(rename=camel(f.name), omit_if_default=f.default is None)
            for f in attrs.fields(cl)
        }
        return make_dict_unstructure_fn(cl, conv, **renames)  # type: ignore[arg-type]

    def structure_factory(cl: type) -> Callable[[Any, type], Any]:
        renames = {f.name: override(rename=camel(f.name)) for f in attrs.fields(cl)}
        return make_dict_structure_fn(cl, conv, **renames)  # type: ignore[arg-type]

    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_structure_hook_factory(_is_optional, lambda cl: _optional_hook(conv, cl))
    return conv


def _is_optional(cl: Any) -> bool:
    """``X | None`` for one type X."""
    args = typing.get_args(cl)
    return (
        typing.get_origin(cl) in (typing.Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
    )


def _optional_hook(conv: cattrs.Converter, cl: Any) -> Callable[[Any, Any], Any]:
    # What cattrs does for an optional field, with the inner hook found once instead of on
    # every value: every response field is optional, and the lookup cost more than the read.
    (inner,) = (arg for arg in typing.get_args(cl) if arg is not type(None))
    structure = conv.get_structure_hook(inner)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else structure(value, inner)

    return structure_optional


# ---------------------------------------------------------------------------------------------
# Requests (CreateCollectionCaseRequestApiViewModel, PreviewCaseRequestApiViewModel)


@attrs.frozen
class DebtorPayload:
    type: str  # "Company" | "Private"
    name: str
    contact_person: str | None = None
    company_registration_number: str | None = None
    address: str | None = None
    zip_code: str | None = None
    city: str | None = None
    state: str | None = None
    state_alpha2: str | None = None
    country_alpha2: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None


@attrs.frozen
class CreateCaseRequest:
    currency_code: str
    amount_to_recover: Decimal
    debtor: DebtorPayload
    date: dt.date | None = None
    due_date: dt.date | None = None
    amount_to_recover_over_6_months: Decimal | None = None
    amount_to_recover_over_12_months: Decimal | None = None
    amount_to_recover_over_24_months: Decimal | None = None
    creditor_reference: str | None = None
    claim_description: str | None = None
    comments: str | None = None
    creditor_division_id: str | None = None
    collection_partner_id: str | None = None
    assigned_user_email: str | None = None
    return_url: str | None = None
    skip_debitura_verification: bool | None = None
    allow_pending_contracts: bool | None = None
    is_test: bool | None = None
    tag: str | None = None


@attrs.frozen
class PreviewDebtorPayload:
    type: str
    country_alpha2: str
    state_alpha2: str | None = None  # exactly two letters ("CA"), US only


@attrs.frozen
class PreviewRequest:
    amount_to_recover: Decimal
    currency_code: str
    debtor: PreviewDebtorPayload
    amount_to_recover_over_6_months: Decimal | None = None
    amount_to_recover_over_12_months: Decimal | None = None
    amount_to_recover_over_24_months: Decimal | None = None
    due_date: dt.date | None = None  # mutually exclusive with the age buckets
    return_url: str | None = None


# ---------------------------------------------------------------------------------------------
# Responses (only what is mapped; the raw payload is kept on the neutral object)


@attrs.frozen
class SigningHandoff:
    combined_signing_url: str | None = None


@attrs.frozen
class InvoiceRecord:
    id: str
    reference: str | None = None
    creditor_reference: str | None = None
    gross_amount: Decimal | None = None
    currency: str | None = None
    lifecycle: str | None = None
    close_code: str | None = None
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    solution_url: str | None = None
    signing_handoff: SigningHandoff | None = None


@attrs.frozen
class PageData:
    total_results: int | None = None
    page_size: int | None = None
    current_page: int | None = None
    response_count: int | None = None
    total_pages: int | None = None


@attrs.frozen
class CreditorProfile:
    """`GET /me`: the creditor the API key belongs to."""

    company_name: str | None
    id: str | None = None
    company_registration_number: str | None = None
    address: str | None = None
    zip_code: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    office_email: str | None = None
    office_phone: str | None = None


@attrs.frozen
class RequiredAction:
    type: str | None = None  # e.g. "MissingDebtCollectionContract"
    message: str | None = None
    solution_url: str | None = None
    is_blocking: bool = True


@attrs.frozen
class PartnerAssignment:
    collection_partner_id: str | None = None
    partner_name: str | None = None
    partner_country: str | None = None


@attrs.frozen
class Jurisdiction:
    id: int | None = None
    name: str | None = None
    country_alpha2: str | None = None
    state_alpha2: str | None = None


@attrs.frozen
class PricingPreview:
    base_success_fee_percentage: Decimal | None = None
    age_surcharge_percentage: Decimal | None = None
    total_success_fee_percentage: Decimal | None = None
    currency_code: str | None = None
    pricing_source: str | None = None
    pricing_source_description: str | None = None


@attrs.frozen
class PreviewResult:
    """`POST /cases/preview`: what creating the case would do, without creating it."""

    is_eligible: bool
    ineligibility_reason: str | None = None
    partner_assignment: PartnerAssignment | None = None
    required_actions: tuple[RequiredAction, ...] = ()
    jurisdiction: Jurisdiction | None = None
    pricing_preview: PricingPreview | None = None
    requires_kyc_verification: bool = False
    has_kyc_on_file: bool = False
    signing_handoff: SigningHandoff | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def signing_url(self) -> str | None:
        """The one URL that walks the creditor through every pending signature, if any."""
        return self.signing_handoff.combined_signing_url if self.signing_handoff else None


converter: cattrs.Converter = _make_converter()
"""Debitura's wire converter: camelCase, None omitted, Decimal exact, dates as UTC midnight."""
