"""The simulator's own behaviour: limits, log, raw wire answers."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.pytest_plugin import RunningSimulator, SimulatorFactory
from debtkit_debitura.simulator import DEFAULT_API_KEY, STATE, create_app

from debtkit import RateLimitedError
from debtkit.plugin import RateLimit
from debtkit.retry import NO_RETRY
from debtkit.simulator import Faults
from debtkit.transport import Request, Transport
from tests.adapters.debitura.conftest import TODAY
from tests.conftest import make_full_debt


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def raw(sim: RunningSimulator) -> Transport:
    """A bare transport: sees every status instead of raising, and sends anything."""
    return Transport(provider="raw", base_url=sim.base_url)


def key(value: str | None = DEFAULT_API_KEY) -> dict[str, str]:
    return {"XApiKey": value} if value else {}


SEED_BODY = {  # the "Create a Case" page's example, dated inside the tests' calendar
    "currencyCode": "EUR",
    "date": "2024-01-15",
    "dueDate": "2024-02-15",
    "amountToRecover": 5000.00,
    "creditorReference": "INV-2025-001",
    "claimDescription": "Consulting services - January 2025",
    "debtor": {
        "type": "Company",
        "name": "Example GmbH",
        "companyRegistrationNumber": "HRB 12345",
        "address": "Hauptstrasse 1",
        "city": "Berlin",
        "zipCode": "10115",
        "countryAlpha2": "DE",
        "email": "accounts@example.de",
        "phone": "+49 30 12345678",
    },
}


# -- limits ----------------------------------------------------------------------------------


def test_default_limits_are_the_documented_ones() -> None:
    assert create_app()[STATE].limits == DebituraAdapter().rate_limits()


def test_time_scale_divides_every_window() -> None:
    limits = create_app(time_scale=60)[STATE].limits
    assert [(rule.limit, rule.window) for rule in limits] == [
        (2000, 1.0),
        (20000, 60.0),
        (100000, 1440.0),
    ]


async def test_fixed_hour_window_refuses_until_the_hour_turns(sim_factory: Any) -> None:
    clock = FakeClock(3600.0 * 500_000 + 3599.5)
    sim = await sim_factory(limits=(RateLimit("hour", 2, 3600.0, "fixed"),), clock=clock)
    async with sim.connect(retry=NO_RETRY) as client:
        await client.me()
        await client.me()
        with pytest.raises(RateLimitedError) as caught:
            await client.me()
        assert caught.value.retry_after == pytest.approx(0.5)
        clock.now += 0.5
        await client.me()


async def test_sliding_minute_frees_a_slot_sixty_seconds_after_the_oldest(
    sim_factory: Any,
) -> None:
    clock = FakeClock(1_000_000.0)
    sim = await sim_factory(limits=(RateLimit("minute", 2, 60.0, "sliding"),), clock=clock)
    async with sim.connect(retry=NO_RETRY) as client:
        await client.me()
        clock.now += 30
        await client.me()
        clock.now += 29
        with pytest.raises(RateLimitedError) as caught:
            await client.me()
        assert caught.value.retry_after == pytest.approx(1.0)
        clock.now += 1
        await client.me()


async def test_limits_are_counted_per_api_key(sim_factory: Any) -> None:
    sim = await sim_factory(api_keys=("key-a", "key-b"), limits=(RateLimit("m", 1, 60.0),))
    adapter = DebituraAdapter()
    async with (
        adapter.connect({"api_key": "key-a"}, base_url=sim.base_url, retry=NO_RETRY) as a,
        adapter.connect({"api_key": "key-b"}, base_url=sim.base_url, retry=NO_RETRY) as b,
    ):
        await a.me()
        await b.me()
        with pytest.raises(RateLimitedError):
            await a.me()


async def test_rate_limited_answer_carries_retry_after_in_the_body_only(sim_factory: Any) -> None:
    sim = await sim_factory(limits=(RateLimit("m", 1, 60.0),))
    async with raw(sim) as transport:
        await transport.send(Request("GET", "me", headers=key()))
        response = await transport.send(Request("GET", "me", headers=key()))
    assert response.status == 429
    assert set(response.body) == {"error", "message", "retryAfter"}
    assert "Retry-After" not in response.headers


async def test_log_counts_requests_per_window(sim_factory: Any) -> None:
    clock = FakeClock(7200.0)
    sim = await sim_factory(clock=clock)
    async with sim.connect() as client:
        for step in range(5):
            clock.now = 7200.0 + step * 10
            await client.me()
    assert sim.state.count_requests(start=7200.0, end=7230.0) == 3
    assert sim.state.count_requests(start=7230.0, end=7300.0, statuses={200}) == 2


# -- raw answers -----------------------------------------------------------------------------


async def test_missing_api_key_gets_an_empty_401(sim: RunningSimulator) -> None:
    async with raw(sim) as transport:
        response = await transport.send(Request("GET", "me", headers=key(None)))
    assert (response.status, response.body) == (401, None)


async def test_page_size_over_100_is_a_400_api_error(sim: RunningSimulator) -> None:
    async with raw(sim) as transport:
        response = await transport.send(
            Request("GET", "cases", params={"PageSize": 101}, headers=key())
        )
    assert response.status == 400
    assert set(response.body) == {"error", "message", "businessErrors"}


async def test_list_accepts_comma_separated_statuses(sim: RunningSimulator) -> None:
    async with sim.connect(clock=lambda: TODAY) as client:
        created = await client.create(make_full_debt())
    sim.state.set_lifecycle(created.provider_id, "Paused")
    async with raw(sim) as transport:
        response = await transport.send(
            Request("GET", "cases", params={"statuses": "Active,paused"}, headers=key())
        )
    assert [c["id"] for c in response.body["cases"]] == [created.provider_id]


async def test_list_ignores_unknown_sort_fields_as_debitura_does(sim: RunningSimulator) -> None:
    async with raw(sim) as transport:
        response = await transport.send(
            Request("GET", "cases", params={"Sort": "Colour:desc"}, headers=key())
        )
    assert response.status == 200


async def test_injected_server_error_has_debituras_shape(sim_factory: Any) -> None:
    sim = await sim_factory(faults=Faults(server_error=1.0))
    async with raw(sim) as transport:
        response = await transport.send(Request("GET", "me", headers=key()))
    assert response.status == 500
    assert response.body["businessErrors"][0]["type"] == "InternalServerError"


# Requests outside the OpenAPI document are sent below on purpose, so these tests use the
# plain simulator fixture, whose traffic is not contract-checked.


async def test_seed_page_example_with_date_only_strings_is_accepted(
    debitura_simulator_factory: SimulatorFactory,
) -> None:
    sim = await debitura_simulator_factory(today=lambda: TODAY)
    async with raw(sim) as transport:
        response = await transport.send(
            Request("POST", "cases", json=SEED_BODY, headers=key(), retry_safe=False)
        )
    assert response.status == 200
    assert response.body["date"] == "2024-01-15T00:00:00Z"


async def test_unknown_request_fields_are_refused(
    debitura_simulator_factory: SimulatorFactory,
) -> None:
    sim = await debitura_simulator_factory(today=lambda: TODAY)
    body = {**SEED_BODY, "priority": "high"}
    async with raw(sim) as transport:
        response = await transport.send(Request("POST", "cases", json=body, headers=key()))
    assert (response.status, list(response.body)) == (400, ["priority"])


async def test_country_name_must_be_the_exact_official_english_name(
    debitura_simulator_factory: SimulatorFactory,
) -> None:
    sim = await debitura_simulator_factory(today=lambda: TODAY)
    debtor = {k: v for k, v in SEED_BODY["debtor"].items() if k != "countryAlpha2"}  # type: ignore[attr-defined]
    async with raw(sim) as transport:
        fine = await transport.send(
            Request(
                "POST",
                "cases",
                headers=key(),
                json={**SEED_BODY, "debtor": {**debtor, "country": "Germany"}},
            )
        )
        wrong = await transport.send(
            Request(
                "POST",
                "cases",
                headers=key(),
                json={
                    **SEED_BODY,
                    "creditorReference": "X2",
                    "debtor": {**debtor, "country": "germany"},
                },
            )
        )
    assert (fine.status, wrong.status, list(wrong.body)) == (200, 400, ["debtor.country"])


async def test_malformed_json_gets_validation_problem_details(
    debitura_simulator_factory: SimulatorFactory,
) -> None:
    sim = await debitura_simulator_factory()
    async with raw(sim) as transport:
        response = await transport.send(Request("POST", "cases", json=[1, 2], headers=key()))
    assert response.status == 400
    assert {"title", "status", "errors", "traceId"} <= set(response.body)


async def test_stored_cases_list_every_reference_once(sim: RunningSimulator) -> None:
    async with sim.connect(clock=lambda: TODAY) as client:
        for n in range(3):
            await client.create(make_full_debt(creditor_reference=f"R-{n}"))
    assert sim.state.created_references() == ["R-0", "R-1", "R-2"]


# -- packaging -------------------------------------------------------------------------------


async def test_plugin_fixture_serves_on_loopback(debitura_simulator: RunningSimulator) -> None:
    assert debitura_simulator.base_url.startswith("http://127.0.0.1:")
    async with debitura_simulator.connect() as client:
        assert (await client.me()).company_name


def test_adapter_builds_the_simulator_with_options() -> None:
    app = DebituraAdapter().simulator(unsigned_contracts=("poa",))
    assert isinstance(app, web.Application)
    assert app[STATE].unsigned_contracts == {"poa"}


def test_unknown_contract_switch_is_refused() -> None:
    with pytest.raises(ValueError):
        create_app(unsigned_contracts=("kyc",))  # type: ignore[arg-type]


# -- lookups by reference --------------------------------------------------------------------


async def test_lookups_by_reference_follow_creates_and_deleted_test_cases(
    sim: RunningSimulator,
) -> None:
    async with sim.connect() as client:
        kept = await client.create(make_full_debt(creditor_reference="KEEP-1"))
        gone = await client.create(make_full_debt(creditor_reference="GONE-1"), is_test=True)
        await client.test_mode.delete_case(gone.provider_id)
        assert await client.find("keep-1") == kept  # case-insensitive, as Debitura compares
        assert await client.find("GONE-1") is None
        assert (await client.get_by_case_reference(kept.reference or "")) == kept
        again = await client.create(make_full_debt(creditor_reference="GONE-1"), is_test=True)
        assert (await client.find("GONE-1")) == again
