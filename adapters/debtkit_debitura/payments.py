"""`client.payments`: money Debitura recorded against cases, as neutral `Payment` objects.

Payments are read-only for creditors (collection partners record them). Per case,
``GET /cases/{id}/payments`` answers one unpaged array; account-wide, ``GET /Payments`` is
paged (capital P, as Debitura spells it) and ``GET /Payments/{id}`` reads one. Each
``PaymentDto`` becomes a `debtkit.events.Payment`: ``grossAmount`` as an exact `Decimal`
with its currency, ``invoice.invoiceId`` as the case, the record kept whole in ``raw``.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from debtkit.events.model import Payment
from debtkit.transport import Request
from debtkit_debitura.calls import (
    MAX_PAGE_SIZE,
    Resource,
    page_size,
    paged_records,
    path,
    read,
    records,
    segment,
    structure,
)
from debtkit_debitura.mapping import PROVIDER

__all__ = ["Payments", "to_payment"]


@attrs.frozen
class _PaymentInvoice:
    invoice_id: str | None = None
    reference: str | None = None
    status: str | None = None


@attrs.frozen
class _PaymentRecord:
    id: str
    date: dt.datetime | None = None
    date_created: dt.datetime | None = None
    gross_amount: Decimal | None = None
    currency: str | None = None
    method: str | None = None
    invoice: _PaymentInvoice | None = None


def to_payment(record: object) -> Payment:
    """A ``PaymentDto`` as a neutral `Payment`; `ValidationError` if it is not one."""
    parsed = structure(record, _PaymentRecord, "Debitura payment")
    raw: Mapping[str, Any] = record if isinstance(record, Mapping) else {}
    return Payment(
        provider=PROVIDER,
        payment_id=parsed.id,
        case_id=parsed.invoice.invoice_id if parsed.invoice else None,
        amount=parsed.gross_amount,
        currency=parsed.currency.upper() if parsed.currency else None,
        date=parsed.date or parsed.date_created,
        method=parsed.method,
        raw=raw,
    )


def _payment_key(payment: Payment) -> str:
    return payment.payment_id


class Payments(Resource):
    """Debitura payments, through the client's transport (reads only)."""

    def list(self, *, page_size: int = MAX_PAGE_SIZE) -> AsyncIterator[Payment]:
        """Every payment on the account, ``GET /Payments`` page by page (one read per
        `page_size` payments), each once."""
        size = _size(page_size)
        return paged_records(
            self.transport, "Payments", "payments", to_payment, size=size, key=_payment_key
        )

    async def get(self, payment_id: str) -> Payment:
        response = await self.call(Request("GET", path("Payments", segment(payment_id))))
        return read(response, to_payment)

    async def for_case(self, case_id: str) -> builtins.list[Payment]:
        """``GET /cases/{id}/payments``: the case's payments, in one read."""
        url = path("cases", segment(case_id), "payments")
        response = await self.call(Request("GET", url))
        return read(response, lambda b: [to_payment(r) for r in records(b, "Debitura payments")])


def _size(value: object) -> int:
    return page_size(value, "payments.list()")
