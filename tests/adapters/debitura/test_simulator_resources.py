"""The simulator's documented refusals on the resource routes, sent raw (the client refuses
most of these locally). The requests are deliberately outside the OpenAPI document; every
answer is checked against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from debtkit_debitura.pytest_plugin import RunningSimulator, SimulatorFactory

from tests.adapters.debitura.conftest import TODAY
from tests.adapters.debitura.contract import Exchange, SpecContract, recorder
from tests.adapters.debitura.helpers import MISSING_CASE, connect, new_case

KEY = {"XApiKey": "sim-debitura-key"}


@pytest.fixture
async def sim(
    debitura_simulator_factory: SimulatorFactory, spec_contract: SpecContract
) -> AsyncIterator[RunningSimulator]:
    exchanges: list[Exchange] = []
    yield await debitura_simulator_factory(middlewares=[recorder(exchanges)], today=lambda: TODAY)
    answers = [
        error
        for e in exchanges
        for error in spec_contract.response_errors(e.method, e.path, e.status, e.response_text)
    ]
    assert not answers, answers


async def _send(sim: RunningSimulator, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        url = sim.base_url + path
        async with session.request(method, url, headers=KEY, **kwargs) as response:
            body = await response.json() if response.content_length else None
            return response.status, body


@pytest.mark.parametrize(
    "body",
    [
        {"city": "Aarhus", "countryCode": "DK"},
        {"companyName": "A", "city": "Aarhus", "countryCode": "DNK"},
        {"companyName": "A", "city": "", "countryCode": "DK"},
    ],
)
async def test_a_division_without_its_required_fields_is_a_400(
    sim: RunningSimulator, body: dict[str, Any]
) -> None:
    status, answer = await _send(sim, "POST", "/divisions", json=body)
    assert status == 400
    assert answer["errors"]


async def test_users_beyond_the_page_size_limit_is_a_problem_details_400(
    sim: RunningSimulator,
) -> None:
    status, answer = await _send(sim, "GET", "/users?PageSize=101")
    assert (status, answer["status"]) == (400, 400)


async def test_eligibility_of_a_us_debtor_without_a_state_is_a_400(sim: RunningSimulator) -> None:
    body = {"countryAlpha2": "US", "debtorType": "Company", "amount": 10, "currencyCode": "USD"}
    status, answer = await _send(sim, "POST", "/coverage/check-eligibility", json=body)
    assert status == 400
    assert "stateAlpha2" in answer["message"]


async def test_a_chat_without_a_sender_is_a_400(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
    status, answer = await _send(
        sim, "POST", f"/cases/{case.provider_id}/chats", json={"message": "hi"}
    )
    assert (status, answer["error"]) == (400, "MissingUserIdentifier")


async def test_an_upload_without_a_file_is_a_400(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("Description", "no file")
    status, answer = await _send(sim, "POST", f"/cases/{case.provider_id}/files", data=form)
    assert (status, answer["error"]) == (400, "FileRequired")


async def test_an_unknown_document_type_is_a_400(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
    form = aiohttp.FormData()
    form.add_field("File", b"%PDF", filename="a.pdf")
    form.add_field("DocumentType", "Contract")
    status, answer = await _send(sim, "POST", f"/cases/{case.provider_id}/files", data=form)
    assert (status, answer["error"]) == (400, "InvalidDocumentType")


async def test_archiving_twice_through_the_colon_alias_is_a_422(sim: RunningSimulator) -> None:
    body = {"companyName": "A", "city": "Aarhus", "countryCode": "DK"}
    _, division = await _send(sim, "POST", "/divisions", json=body)
    first, _ = await _send(sim, "POST", f"/divisions/{division['id']}:archive")
    second, answer = await _send(sim, "POST", f"/divisions/{division['id']}/archive")
    assert (first, second) == (200, 422)
    assert answer["error"] == "DivisionAlreadyArchived"


async def test_an_unknown_division_or_jurisdiction_is_a_404(sim: RunningSimulator) -> None:
    for path in (f"/divisions/{MISSING_CASE}", "/divisions/not-a-guid", "/coverage/0"):
        status, answer = await _send(sim, "GET", path)
        assert (status, answer["error"]) == (404, "NotFound")
