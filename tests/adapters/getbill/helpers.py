"""Shared helpers for the GetBill tests: seed fixtures, a fake clock, ready-made debts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from debtkit import Address, Debt, Debtor
from debtkit.transport import Response

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://getbill.test/external-api/v1"
TOKEN_URL = "https://getbill.test/token"
SECRET = "gb-secret-do-not-log"


def seed(name: str) -> Any:
    """A response example transcribed from the docs (seed pages or the fact sheet)."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def seed_text(name: str) -> str:
    """The example's exact text, to serve from a mocked endpoint."""
    return (FIXTURES / name).read_text()


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def response(
    status: int,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    *,
    method: str = "GET",
    path: str = "/external-api/v1/debts",
) -> Response:
    return Response(
        method=method,
        path=path,
        status=status,
        headers=CIMultiDictProxy(CIMultiDict(headers or {})),
        body=body,
        request_id=None,
        elapsed=0.01,
    )


def person_debt(reference: str = "REF-1", **changes: Any) -> Debt:
    """A valid private-person debt, French mobile, no options."""
    debt = Debt(
        creditor_reference=reference,
        debtor=Debtor(
            first_name="Marie",
            last_name="Curie",
            civility="Ms",
            phone="0612345678",
            email="marie@example.com",
            address=Address(street="Rue Cuvier", number="12", postal_code="75005", city="Paris"),
        ),
        amount=Decimal("99.90"),
        currency="EUR",
        invoice_date=dt.date(2024, 1, 1),
        due_date=dt.date(2024, 1, 31),
    )
    return attrs.evolve(debt, **changes)


def with_debtor(debt: Debt, **changes: Any) -> Debt:
    return attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, **changes))
