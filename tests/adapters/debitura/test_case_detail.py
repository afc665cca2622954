"""Reads about one case against the simulator: timeline, contract status, validation,
exclusive period, quote requests and quotes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from debtkit_debitura.case_detail import EngagementPhase
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit import BadRequestError, NotFoundError, ValidationError
from tests.adapters.debitura.helpers import MISSING_CASE, connect, new_case, records
from tests.conftest import make_full_debt


async def test_the_timeline_starts_with_the_creation_and_grows(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        await client.files.upload(case.provider_id, b"%PDF", file_name="i.pdf")
        timeline = await client.case_detail.timeline(case.provider_id)
    assert [i.title for i in timeline.items] == ["Case created", "File uploaded"]
    assert timeline.current_engagement_phase is None  # no partner works it yet


async def test_the_timeline_tells_the_engagement_phase(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        sim.state.cases[case.provider_id].invoice["currentEngagementPhase"] = "Legal"
        timeline = await client.case_detail.timeline(case.provider_id)
    assert timeline.current_engagement_phase is EngagementPhase.LEGAL


async def test_contract_status_names_the_unsigned_contract(sim_factory: Any) -> None:
    sim = await sim_factory(unsigned_contracts=("poa",))
    async with connect(sim) as client:
        case = await client.create(make_full_debt(), allow_pending_contracts=True)
        status = await client.case_detail.contract_status(case.provider_id)
    assert status.sdca is not None
    assert status.sdca.signed
    assert status.poa is not None
    assert not status.poa.signed
    assert status.poa.solution_url
    assert status.needs_poa_signing


async def test_validation_lists_what_the_creditor_must_supply(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        records(sim).needs_info(case.provider_id, [("Documents", "Upload the invoice")])
        validation = await client.case_detail.validation(case.provider_id)
        again = await client.get(case.provider_id)
    assert validation.needs_info
    assert [(i.resolution_area, i.description) for i in validation.items] == [
        ("Documents", "Upload the invoice")
    ]
    assert again.raw["validation"] == {"needsInfo": True}


async def test_no_exclusive_period_yet_is_not_found(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        with pytest.raises(NotFoundError):
            await client.case_detail.exclusive_period(case.provider_id)


async def test_the_exclusive_period_tells_its_end(sim: RunningSimulator) -> None:
    start = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    async with connect(sim) as client:
        case = await new_case(client)
        records(sim).start_exclusive_period(case.provider_id, start, days=90)
        period = await client.case_detail.exclusive_period(case.provider_id)
    assert period.engagement_start_date == start
    assert period.current_end_date == start + dt.timedelta(days=90)


async def test_a_case_id_that_is_not_a_guid_is_refused_by_debitura(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(BadRequestError):
            await client.case_detail.timeline("not-a-guid")


@pytest.mark.parametrize("case_id", ["", ".", ".."])
async def test_an_unaddressable_id_is_refused_locally(sim: RunningSimulator, case_id: str) -> None:
    async with connect(sim) as client:
        with pytest.raises(ValidationError):
            await client.case_detail.timeline(case_id)
    assert sim.state.requests == []


async def test_an_id_with_a_slash_stays_one_segment(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(BadRequestError):  # one (non-GUID) id, not another route
            await client.case_detail.validation("a/../../me")


async def test_quote_requests_and_their_quotes_are_read(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        request_id = records(sim).add_quote_request(case.provider_id)
        quote_id = records(sim).add_quote(case.provider_id, request_id, success_fee=22.5)
        requests = [r async for r in client.quotes.requests(case.provider_id)]
        detail = await client.quotes.request(case.provider_id, request_id)
        quotes = [q async for q in client.quotes.quotes(case.provider_id, request_id)]
        quote = await client.quotes.quote(case.provider_id, request_id, quote_id)
    assert [r.quote_request_id for r in requests] == [request_id]
    assert detail.current_quotes_count == 1
    assert [q.quote_id for q in quotes] == [quote_id]
    assert quotes[0].success_fee == Decimal("22.5")
    assert quote.pricing is not None
    assert quote.pricing.success_fee_fee == Decimal("22.5")


async def test_an_unknown_quote_request_is_not_found(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        with pytest.raises(NotFoundError):
            await client.quotes.request(case.provider_id, MISSING_CASE)
        with pytest.raises(NotFoundError):
            await client.case_detail.validation(MISSING_CASE)


def test_fields_debitura_adds_later_are_ignored_and_kept_raw() -> None:
    from debtkit_debitura.calls import structure
    from debtkit_debitura.case_detail import Timeline

    body = {
        "items": [{"type": "X", "title": "t", "description": "d", "severity": "high"}],
        "currentEngagementPhase": "Arbitration",
        "nextStep": "wait",
    }
    timeline = structure(body, Timeline, "timeline")
    assert timeline.items[0].title == "t"
    assert timeline.current_engagement_phase == "Arbitration"
    assert timeline.raw["nextStep"] == "wait"
