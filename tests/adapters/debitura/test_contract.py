"""The contract checker itself: it must be able to fail, and a whole session must pass it."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from debtkit_debitura import DebituraAdapter

from debtkit import Address, BusinessRuleError, DuplicateError
from debtkit.jsonutil import dumps
from tests.adapters.debitura.conftest import TODAY
from tests.adapters.debitura.contract import Exchange, SpecContract
from tests.adapters.debitura.webhook_sink import call
from tests.conftest import make_full_debt


def test_contract_flags_a_request_field_the_schema_does_not_know(
    spec_contract: SpecContract,
) -> None:
    body = {**DebituraAdapter().to_wire(make_full_debt()), "iban": "FR14..."}
    assert spec_contract.request_errors("POST", "/cases", dumps(body))


def test_contract_flags_a_date_only_invoice_date(spec_contract: SpecContract) -> None:
    body = {**DebituraAdapter().to_wire(make_full_debt()), "date": "2023-12-01"}
    assert spec_contract.request_errors("POST", "/cases", dumps(body))


def test_contract_flags_a_response_whose_debtor_has_no_name(spec_contract: SpecContract) -> None:
    invoice = {"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "debtor": {"type": "Company"}}
    assert spec_contract.response_errors("GET", "/cases/x", 200, json.dumps(invoice))


def test_contract_flags_a_status_the_operation_does_not_declare(
    spec_contract: SpecContract,
) -> None:
    assert spec_contract.response_errors("GET", "/me", 418, "")


def test_contract_flags_a_body_on_a_401(spec_contract: SpecContract) -> None:
    assert spec_contract.response_errors("GET", "/me", 401, '{"error": "nope"}')


async def test_every_exchange_of_a_full_session_matches_the_document(
    sim_factory: Any, spec_contract: SpecContract, exchanges: list[Exchange]
) -> None:
    sim = await sim_factory(unsigned_contracts=("sdca",))
    us = make_full_debt(creditor_reference="US-1")
    address = Address(street="Market", number="1", city="SF", state="California", country="US")
    us = attrs.evolve(us, debtor=attrs.evolve(us.debtor, address=address, phone=None))
    async with sim.connect(clock=lambda: TODAY) as client:
        await client.me()
        case = await client.create(make_full_debt(), allow_pending_contracts=True)
        await client.create(us, allow_pending_contracts=True)
        with pytest.raises(BusinessRuleError):
            await client.create(make_full_debt(creditor_reference="X-1"))
        with pytest.raises(DuplicateError):
            await client.create(make_full_debt(), allow_pending_contracts=True)
        await client.get(case.provider_id)
        await client.find("INV-2024-001")
        await client.find("absent")
        await client.get_by_case_reference(case.reference or "")
        _ = [c async for c in client.cases(page_size=1, sort="DueDate:desc")]
        await client.preview(us)
    # two list pages of one case each, and the duplicate's lookup of the case it names
    assert len(exchanges) == 13
    assert {e.status for e in exchanges} == {200, 400, 404, 422}
    assert spec_contract.check_all(exchanges) == []


def test_contract_flags_a_webhook_subscription_with_an_unknown_field(
    spec_contract: SpecContract,
) -> None:
    body = {"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "url": "https://x", "secretHint": "ab"}
    assert spec_contract.response_errors("GET", "/webhooks/x", 200, json.dumps(body))


def test_contract_flags_a_payment_without_its_invoice(spec_contract: SpecContract) -> None:
    payment = {"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "currency": "EUR", "method": "x"}
    assert spec_contract.response_errors("GET", "/Payments/x", 200, json.dumps(payment))


def test_contract_flags_a_body_on_a_test_endpoint_404(spec_contract: SpecContract) -> None:
    assert spec_contract.response_errors("POST", "/test/cases/x/advance", 404, '{"error": "x"}')


async def test_every_events_operation_is_exercised_within_the_document(
    sim_factory: Any, spec_contract: SpecContract, exchanges: list[Exchange]
) -> None:
    sim = await sim_factory()
    case_id = ""
    async with sim.connect() as client:
        case = await client.create(make_full_debt(), is_test=True)
        case_id = case.provider_id
        # port 9 (discard) on loopback: nothing listens, and nothing leaves the machine
        hook = await client.webhooks.create("http://127.0.0.1:9/x", ["case.closed"])
        await client.webhooks.list()
        await client.webhooks.get(hook.id)
        await client.webhooks.update(hook.id, active=False)
        await client.webhooks.test(hook.id)  # nobody listens there: a failed test result
        await call(
            sim.base_url,
            "POST",
            f"test/cases/{case_id}/advance",
            {"to": "Closed:Paid", "amount": 5},
        )
        fire = {"event": "case.closed", "caseId": case_id}
        await call(sim.base_url, "POST", "test/webhooks/fire", fire)
        [payment] = await client.payments.for_case(case_id)
        await client.payments.get(payment.payment_id)
        _ = [p async for p in client.payments.list()]
        _ = [t async for t in client.tasks.list()]
        await client.tasks.for_case(case_id)
        await client.webhooks.events(case_id)
        await call(sim.base_url, "POST", f"webhooks/events/{case_id}/replay")  # no such event
        await client.webhooks.delete(hook.id)
        await call(sim.base_url, "DELETE", f"test/cases/{case_id}")
        await call(sim.base_url, "DELETE", "test/cases?tag=none")
    templates = {(e.method, spec_contract.operation(e.method, e.path)[0]) for e in exchanges}
    assert templates >= {
        ("POST", "/webhooks"),
        ("GET", "/webhooks"),
        ("GET", "/webhooks/{id}"),
        ("PATCH", "/webhooks/{id}"),
        ("DELETE", "/webhooks/{id}"),
        ("POST", "/webhooks/{id}/test"),
        ("GET", "/webhooks/events"),
        ("POST", "/webhooks/events/{id}/replay"),
        ("POST", "/test/cases/{id}/advance"),
        ("POST", "/test/webhooks/fire"),
        ("DELETE", "/test/cases/{id}"),
        ("DELETE", "/test/cases"),
        ("GET", "/cases/{id}/payments"),
        ("GET", "/Payments/{id}"),
        ("GET", "/Payments"),
        ("GET", "/tasks"),
        ("GET", "/cases/{id}/tasks"),
    }
    assert spec_contract.check_all(exchanges) == []


def _multipart(*parts: tuple[str, str | None, bytes]) -> tuple[str, bytes]:
    boundary = "sim-boundary"
    chunks = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content
        )
    body = b"\r\n".join(chunks) + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


_FILES = "/cases/3fa85f64-5717-4562-b3fc-2c963f66afa6/files"


def test_contract_accepts_a_documented_multipart_upload(spec_contract: SpecContract) -> None:
    content_type, body = _multipart(
        ("File", "a.pdf", b"%PDF"), ("DocumentType", None, b"DemandLetter")
    )
    assert spec_contract.request_errors("POST", _FILES, "x", content_type, body) == []


def test_contract_flags_a_multipart_part_the_schema_does_not_know(
    spec_contract: SpecContract,
) -> None:
    content_type, body = _multipart(("File", "a.pdf", b"%PDF"), ("Comment", None, b"hi"))
    assert spec_contract.request_errors("POST", _FILES, "x", content_type, body)


def test_contract_flags_a_multipart_upload_without_its_file(spec_contract: SpecContract) -> None:
    content_type, body = _multipart(("Description", None, b"no file"))
    assert spec_contract.request_errors("POST", _FILES, "x", content_type, body)


def test_contract_flags_a_file_part_without_a_filename(spec_contract: SpecContract) -> None:
    content_type, body = _multipart(("File", None, b"%PDF"))
    assert spec_contract.request_errors("POST", _FILES, "x", content_type, body)
