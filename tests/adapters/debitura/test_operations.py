"""Every operation of Debitura's OpenAPI document is called by the adapter or listed, with a
reason, in `debtkit_debitura.operations`; what is called is served by the simulator and is
what a tour of the client actually sends."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request
from debtkit_debitura.divisions import DivisionFields
from debtkit_debitura.operations import CALLED, NOT_CALLED
from debtkit_debitura.simulator import create_app

from tests.adapters.debitura.contract import Exchange, SpecContract
from tests.adapters.debitura.helpers import connect, records
from tests.conftest import make_full_debt

_METHODS = ("get", "post", "put", "patch", "delete")
_SAMPLE_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _operations(spec_contract: SpecContract) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), template): operation
        for template, item in spec_contract.spec["paths"].items()
        for method, operation in item.items()
        if method in _METHODS
    }


def test_every_operation_is_called_or_listed_with_a_reason(spec_contract: SpecContract) -> None:
    documented = set(_operations(spec_contract))
    neither = documented - set(CALLED) - set(NOT_CALLED)
    assert not neither, f"operations neither called nor listed: {sorted(neither)}"


def test_no_operation_is_both_called_and_listed(spec_contract: SpecContract) -> None:
    assert not set(CALLED) & set(NOT_CALLED)


def test_the_tables_name_only_documented_operations(spec_contract: SpecContract) -> None:
    documented = set(_operations(spec_contract))
    assert not (set(CALLED) | set(NOT_CALLED)) - documented


def test_only_deprecated_operations_carry_the_deprecated_reason(
    spec_contract: SpecContract,
) -> None:
    operations = _operations(spec_contract)
    for key, reason in NOT_CALLED.items():
        assert (reason == "deprecated") == bool(operations[key].get("deprecated")), key


def _concrete(template: str) -> str:
    """A path the template matches: GUIDs for ids, an integer for a jurisdiction."""
    if template == "/coverage/{id}":
        return "/coverage/1"
    return re.sub(r"\{[^}]+\}", _SAMPLE_ID, template)


async def test_the_simulator_serves_every_non_deprecated_operation_in_scope(
    spec_contract: SpecContract,
) -> None:
    app = create_app()
    served_elsewhere = {k for k, reason in NOT_CALLED.items() if reason.startswith("events:")}
    missing = []
    for (method, template), operation in _operations(spec_contract).items():
        if operation.get("deprecated") or (method, template) in served_elsewhere:
            continue
        request = make_mocked_request(method, _concrete(template), app=app)
        match = await app.router.resolve(request)
        if match.http_exception is not None:
            missing.append((method, template))
    assert not missing, f"the simulator does not serve {missing}"


async def test_a_tour_of_the_client_sends_exactly_the_called_operations(
    sim_factory: Any, spec_contract: SpecContract, exchanges: list[Exchange]
) -> None:
    sim = await sim_factory()
    async with connect(sim) as client:
        await client.me()
        case = await client.create(make_full_debt())
        await client.preview(make_full_debt())
        await client.get(case.provider_id)
        await client.find("INV-2024-001")
        await client.get_by_case_reference(case.reference or "")
        _ = [c async for c in client.cases()]
        await client.case_detail.contract_status(case.provider_id)
        await client.case_detail.validation(case.provider_id)
        start = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
        records(sim).start_exclusive_period(case.provider_id, start, days=30)
        await client.case_detail.exclusive_period(case.provider_id)
        qr = records(sim).add_quote_request(case.provider_id)
        quote = records(sim).add_quote(case.provider_id, qr)
        _ = [r async for r in client.quotes.requests(case.provider_id)]
        await client.quotes.request(case.provider_id, qr)
        _ = [q async for q in client.quotes.quotes(case.provider_id, qr)]
        await client.quotes.quote(case.provider_id, qr, quote)
        await client.files.upload(case.provider_id, b"%PDF", file_name="i.pdf")
        await client.messages.send(case.provider_id, "Hello", sender_email="creditor@example.com")
        await client.case_detail.timeline(case.provider_id)
        users = [u async for u in client.account.users()]
        await client.account.contract_status()
        items = [i async for i in client.coverage.list()]
        await client.coverage.get(items[0].jurisdiction_id)
        await client.coverage.check_eligibility(
            country="DK", debtor_type="Company", amount=Decimal("10"), currency="DKK"
        )
        fields = DivisionFields(company_name="Tour", city="Aarhus", country_code="DK")
        division = await client.divisions.create(fields)
        _ = [d async for d in client.divisions.list()]
        await client.divisions.get(division.id)
        await client.divisions.update(division.id, fields)
        await client.divisions.archive(division.id)
        await client.divisions.delete(division.id)
        # the events families (issue 12): subscriptions, test mode, payments, tasks
        hook = await client.webhooks.create("http://127.0.0.1:9/x", ["case.closed"], test_mode=True)
        _ = await client.webhooks.list()
        await client.webhooks.get(hook.id)
        await client.webhooks.update(hook.id, active=False)
        await client.webhooks.test(hook.id)  # port 9 on loopback: nobody listens, a failed test
        await client.webhooks.update(hook.id, active=True)
        test_case = await client.create(make_full_debt(creditor_reference="TOUR-T"), is_test=True)
        await client.test_mode.advance(test_case.provider_id, "Closed:Paid", amount=Decimal("5"))
        await client.test_mode.fire("case.closed", test_case.provider_id)
        logged = await client.webhooks.events(test_case.provider_id)
        await client.webhooks.replay_event(logged[0].id)
        [payment] = await client.payments.for_case(test_case.provider_id)
        await client.payments.get(payment.payment_id)
        _ = [p async for p in client.payments.list()]
        _ = [t async for t in client.tasks.list()]
        await client.tasks.for_case(test_case.provider_id)
        await client.webhooks.delete(hook.id)
        await client.test_mode.delete_case(test_case.provider_id)
        await client.test_mode.delete_tagged("tour")
    assert users
    sent = {
        (e.method, spec_contract.operation(e.method, e.path)[0])
        for e in exchanges
        if e.status != 499
    }
    assert sent == set(CALLED)


@pytest.mark.parametrize("reason", sorted(set(NOT_CALLED.values())))
def test_every_reason_is_one_of_the_known_kinds(reason: str) -> None:
    assert reason == "deprecated" or reason.startswith(("alias:", "not for API-key"))
