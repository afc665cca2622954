"""Debt -> GetBill create body: the exact JSON, field names from the create-debt page."""

from __future__ import annotations

import json
from decimal import Decimal

import aiohttp
import pytest
from debtkit_getbill import GetBillAdapter, GetBillOptions

from debtkit import ContactPerson, DebtorKind
from debtkit.testing.http_mock import MockHttp
from tests.adapters.getbill.helpers import BASE, person_debt, seed_text, with_debtor
from tests.conftest import make_full_debt

# Every request-body field the create-debt seed page describes (its curl body plus the field
# descriptions: invoice_reference, debtor_reference), and the two switches whose JSON names
# the docs never show (debtkit's assumed names).
SEED_CREATE_FIELDS = {
    "firstname", "lastname", "civility", "phone", "email", "amount", "currency", "birthdate",
    "object", "internal_id", "invoice_reference", "debtor_reference", "invoice_date",
    "due_date", "address", "iban", "company", "debtor_company", "street_address",
    "street_number", "postal_code", "city", "country", "payment_link", "timeline_id",
    "timeline_start_mode", "metadata", "accept_expensive_destination",
}  # fmt: skip
ASSUMED_FIELDS = {"civility_completion", "email_validation"}

FULL_DEBT_JSON = {
    "firstname": "John",
    "lastname": "Doe",
    "civility": "Mr",
    "phone": "+33612345678",
    "email": "john.doe@example.com",
    "amount": Decimal("1250.00"),
    "currency": "EUR",
    "birthdate": "1985-03-15",
    "object": "Outstanding invoice #INV-2024-001",
    "internal_id": "INV-2024-001",
    "invoice_reference": "INV-2024-001",
    "debtor_reference": "DEB-DOE-001",
    "invoice_date": "2023-12-01",
    "due_date": "2023-12-31",
    "address": "123 Main Street, 75001 Paris, France",
    "iban": "FR1420041010050500013M02606",
    "company": "Acme Corp",
    "debtor_company": "ACME Corporation",
    "street_address": "Main Street",
    "street_number": "123",
    "postal_code": "75001",
    "city": "Paris",
    "country": "FR",
    "payment_link": "https://pay.example.com/debt/abc123",
    "timeline_id": "xyz789abc123",
    "metadata": {"crm_id": "crm-42", "tags": ["b2b", "priority"], "score": Decimal("0.75")},
}


async def test_create_sends_the_exact_json_for_a_fully_populated_debt(
    mock_http: MockHttp,
) -> None:
    mock_http.post(f"{BASE}/debts", status=201, body=seed_text("get_debt.json"))
    async with GetBillAdapter().connect({"access_token": "tok"}, base_url=BASE) as client:
        await client.create(make_full_debt(), check_existing=False)
    (call,) = mock_http.requests[("POST", aiohttp.client.URL(f"{BASE}/debts"))]
    sent = call.kwargs["data"]
    assert json.loads(sent, parse_float=Decimal) == FULL_DEBT_JSON
    assert list(json.loads(sent)) == list(FULL_DEBT_JSON)  # the seed page's field order
    assert '"amount":1250.00,' in sent  # a JSON number with its exact cents


def test_every_field_sent_is_a_field_of_the_seed_create_page() -> None:
    debt = GetBillOptions(
        timeline_id="t1",
        timeline_start_mode="next_day",
        accept_expensive_destination=True,
        civility_completion=False,
        email_validation=True,
    ).apply_to(make_full_debt())
    wire = GetBillAdapter().to_wire(debt)
    assert set(wire) == SEED_CREATE_FIELDS | ASSUMED_FIELDS


def test_fields_getbill_cannot_carry_are_not_sent() -> None:
    wire = json.dumps(GetBillAdapter().to_wire(make_full_debt()), default=str)
    for value in ("Called twice in December", "FR12345678901", "400.00", "900.00"):
        assert value not in wire


def test_company_debtor_is_sent_with_its_contact_person_as_first_and_last_name() -> None:
    debt = with_debtor(
        make_full_debt(),
        first_name=None,
        last_name=None,
        contact_person=ContactPerson("Ada", "Lovelace"),
    )
    wire = GetBillAdapter().to_wire(debt)
    assert (wire["firstname"], wire["lastname"], wire["debtor_company"]) == (
        "Ada",
        "Lovelace",
        "ACME Corporation",
    )


def test_person_debtor_sends_no_debtor_company_even_with_a_company_name() -> None:
    debt = with_debtor(person_debt(), kind=DebtorKind.PERSON, company_name="Side Business")
    assert "debtor_company" not in GetBillAdapter().to_wire(debt)


def test_empty_metadata_and_empty_creditor_name_are_left_out() -> None:
    wire = GetBillAdapter().to_wire(person_debt(creditor_name="  "))
    assert "metadata" not in wire
    assert "company" not in wire


def test_getbill_options_become_their_wire_fields() -> None:
    debt = GetBillOptions(timeline_id="tl-1", timeline_start_mode="next_day").apply_to(
        person_debt()
    )
    wire = GetBillAdapter().to_wire(debt)
    assert (wire["timeline_id"], wire["timeline_start_mode"]) == ("tl-1", "next_day")
    assert "accept_expensive_destination" not in wire


def test_malformed_options_make_to_wire_refuse_the_debt() -> None:
    from debtkit import ValidationError

    debt = person_debt(options={"getbill": {"timeline_start_mode": "tomorrow"}})
    with pytest.raises(ValidationError) as caught:
        GetBillAdapter().to_wire(debt)
    assert [p.path for p in caught.value.problems] == ["options.getbill.timeline_start_mode"]
