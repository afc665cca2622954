"""The provider-neutral model: `Debt` is what a creditor hands over, `Case` what a provider holds.

Every class is a frozen, slotted attrs class. Money is `Decimal` paired with an ISO 4217 code;
adapters translate both ways and keep whatever they cannot map in `Case.raw` or the debt's
per-provider `options`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "Address",
    "AgeBreakdown",
    "Case",
    "CaseStatus",
    "ContactPerson",
    "Debt",
    "Debtor",
    "DebtorKind",
]


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    # Anything else is kept as given, so that validation reports it by field path rather
    # than the constructor failing with a bare TypeError.
    return value or {}


def _redacted(value: object) -> str:
    """How a field holding personal data (anything about a person, generously read) shows in
    `repr`, which ends up in logs, tracebacks and error reports: whether it is set, never
    what it holds."""
    return repr(value) if value is None or value == {} else "<redacted>"


class DebtorKind(str, enum.Enum):
    PERSON = "person"
    COMPANY = "company"


class CaseStatus(str, enum.Enum):
    """A closed neutral vocabulary. Adapters map every provider status onto it;
    a status they do not know becomes `UNKNOWN` and the raw string stays on the case."""

    PENDING = "pending"  # received, not yet worked
    ACTION_REQUIRED = "action_required"  # waits for the creditor (contracts, details, choices)
    IN_PROGRESS = "in_progress"  # collection is running
    ON_HOLD = "on_hold"  # paused or disputed
    PAYMENT_PLAN = "payment_plan"  # settled through an agreed plan
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    CLOSED_UNPAID = "closed_unpaid"  # closed without recovering money
    WITHDRAWN = "withdrawn"  # withdrawn by the creditor
    ARCHIVED = "archived"
    UNKNOWN = "unknown"

    @property
    def is_closed(self) -> bool:
        return self in _CLOSED


_CLOSED = frozenset(
    {
        CaseStatus.PAID,
        CaseStatus.PARTIALLY_PAID,
        CaseStatus.CLOSED_UNPAID,
        CaseStatus.WITHDRAWN,
        CaseStatus.ARCHIVED,
    }
)


@attrs.frozen
class Address:
    """Where a debtor lives. Only `state` and `country` show in `repr`."""

    street: str | None = attrs.field(default=None, repr=_redacted)
    number: str | None = attrs.field(default=None, repr=_redacted)
    postal_code: str | None = attrs.field(default=None, repr=_redacted)
    city: str | None = attrs.field(default=None, repr=_redacted)
    state: str | None = None  # ISO 3166-2 subdivision once normalised, e.g. "US-CA"
    country: str | None = None  # ISO 3166-1 alpha-2 once normalised
    # The whole address as one line, when that is all the creditor has.
    full: str | None = attrs.field(default=None, repr=_redacted)


@attrs.frozen
class ContactPerson:
    """The person to talk to at a company debtor; no field shows in `repr`."""

    first_name: str | None = attrs.field(default=None, repr=_redacted)
    last_name: str | None = attrs.field(default=None, repr=_redacted)

    @property
    def name(self) -> str | None:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return " ".join(parts) or None


@attrs.frozen
class Debtor:
    """Who owes. `repr` shows the kind and the creditor's own reference only: a company's
    name and number can name a sole trader, so they are hidden too."""

    kind: DebtorKind = DebtorKind.PERSON
    first_name: str | None = attrs.field(default=None, repr=_redacted)
    last_name: str | None = attrs.field(default=None, repr=_redacted)
    company_name: str | None = attrs.field(default=None, repr=_redacted)
    civility: str | None = attrs.field(default=None, repr=_redacted)
    birth_date: dt.date | None = attrs.field(default=None, repr=_redacted)
    email: str | None = attrs.field(default=None, repr=_redacted)
    phone: str | None = attrs.field(default=None, repr=_redacted)
    # VAT, SIREN, CVR, HRB...
    registration_number: str | None = attrs.field(default=None, repr=_redacted)
    contact_person: ContactPerson | None = None
    reference: str | None = None  # the creditor's own reference for this debtor
    address: Address | None = None

    @property
    def name(self) -> str | None:
        """The legal name: the company for a company, first + last name for a person."""
        if self.kind is DebtorKind.COMPANY:
            return self.company_name
        parts = [p for p in (self.first_name, self.last_name) if p]
        return " ".join(parts) or None


@attrs.frozen
class AgeBreakdown:
    """How much of the amount is overdue by more than 6, 12 and 24 months."""

    over_12_months: Decimal
    over_24_months: Decimal
    over_6_months: Decimal | None = None


@attrs.frozen
class Debt:
    """One unpaid invoice (or bundle of invoices) handed to a provider.

    `creditor_reference` is the creditor's own key for the debt and the key debtkit uses to
    prevent duplicates. `options` holds typed per-provider options as JSON, keyed by provider
    name; each adapter offers a typed view of its own entry.
    """

    creditor_reference: str
    debtor: Debtor
    amount: Decimal
    currency: str
    invoice_date: dt.date | None = None
    due_date: dt.date | None = None
    # Free text, bank details, links and the creditor's own data may all be about the
    # debtor: `repr` shows only whether they are set.
    description: str | None = attrs.field(default=None, repr=_redacted)
    invoice_reference: str | None = None
    iban: str | None = attrs.field(default=None, repr=_redacted)
    payment_link: str | None = attrs.field(default=None, repr=_redacted)
    creditor_name: str | None = None  # for agencies collecting on behalf of a client
    # Internal notes for the collector, not shown to the debtor.
    notes: str | None = attrs.field(default=None, repr=_redacted)
    overdue: AgeBreakdown | None = None
    metadata: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_mapping, hash=False, repr=_redacted
    )
    options: Mapping[str, Mapping[str, Any]] = attrs.field(
        factory=dict, converter=_frozen_mapping, hash=False, repr=_redacted
    )


@attrs.frozen
class Case:
    """What a provider holds for a debt, in neutral terms, with the raw payload kept."""

    provider: str
    provider_id: str
    status: CaseStatus
    provider_status: str | None = None
    reference: str | None = None  # the provider's display reference
    creditor_reference: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    # Where the creditor must act (sign, complete), if anywhere; may carry a token.
    action_url: str | None = attrs.field(default=None, repr=_redacted)
    raw: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_mapping, repr=False, hash=False
    )
