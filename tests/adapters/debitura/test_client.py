"""The adapter against the simulator, over loopback HTTP; every exchange is also checked
against Debitura's OpenAPI document by the ``sim`` fixtures."""

from __future__ import annotations

import datetime as dt
import logging
import random
from decimal import Decimal
from typing import Any

import attrs
import pytest
from debtkit_debitura import DebituraAdapter, DebituraClient
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit import (
    Address,
    AmbiguousWriteError,
    AuthenticationError,
    BadRequestError,
    BusinessRuleError,
    CaseStatus,
    ConfigurationError,
    DuplicateError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from debtkit.model import Debt
from debtkit.plugin import RateLimit
from debtkit.retry import RetryPolicy
from debtkit.simulator import Faults
from debtkit.transport import Timeouts
from tests.adapters.debitura.conftest import TODAY
from tests.conftest import make_full_debt

FAST = RetryPolicy(attempts=3, base=0.01, cap=0.02)
RAPID_MINUTE = (RateLimit("minute", 2, 60.0, "sliding"),)


def connect(sim: RunningSimulator, **options: Any) -> DebituraClient:
    options.setdefault("retry", FAST)
    return sim.connect(clock=lambda: TODAY, **options)


def debt(reference: str = "INV-2024-001", **changes: Any) -> Debt:
    return make_full_debt(creditor_reference=reference, **changes)


def us_debt(reference: str, state: str | None) -> Debt:
    base = make_full_debt(creditor_reference=reference)
    address = Address(street="Market Street", number="1", postal_code="94105", city="San Francisco")
    address = attrs.evolve(address, state=state, country="US")
    return attrs.evolve(base, debtor=attrs.evolve(base.debtor, address=address, phone=None))


def posts(sim: RunningSimulator) -> list[Any]:
    return [r for r in sim.state.requests if r.method == "POST" and r.path == "/cases"]


def seed_losing_first_draw_only(probability: float = 0.5) -> int:
    """A Faults seed whose first roll fires and whose second does not."""
    for seed in range(10_000):
        rng = random.Random(seed)
        if rng.random() < probability <= rng.random():
            return seed
    raise AssertionError("no such seed")


# -- credentials -------------------------------------------------------------------------


async def test_me_returns_the_creditor_profile(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        profile = await client.me()
    assert profile.company_name == "Simulated Creditor ApS"


async def test_me_with_a_wrong_key_raises_authentication_error(sim: RunningSimulator) -> None:
    async with DebituraAdapter().connect({"api_key": "wrong"}, base_url=sim.base_url) as client:
        with pytest.raises(AuthenticationError):
            await client.me()
    assert [(r.authenticated, r.status) for r in sim.state.requests] == [(False, 401)]


async def test_the_api_key_never_appears_in_reprs_errors_or_debug_logs(
    sim: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-debitura-secret-0123456789"
    caplog.set_level(logging.DEBUG)
    async with DebituraAdapter().connect({"api_key": secret}, base_url=sim.base_url) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.me()
        shown = [repr(client), repr(client.transport), repr(client.transport.auth)]
    shown += [str(caught.value), repr(caught.value), caplog.text]
    assert caplog.text  # something was logged at DEBUG
    assert all(secret not in text for text in shown)


async def test_every_request_carries_the_xapikey_header(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        await client.me()
        await client.find("nothing")
    assert [r.authenticated for r in sim.state.requests] == [True, True]


# -- create ----------------------------------------------------------------------------------


async def test_create_returns_the_new_case_pending_verification(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await client.create(debt())
    assert (case.status, case.provider_status) == (
        CaseStatus.PENDING,
        "Pending Verification Internal",
    )
    assert (case.creditor_reference, case.amount, case.currency) == (
        "INV-2024-001",
        Decimal("1250.00"),
        "EUR",
    )
    assert sim.state.cases[case.provider_id].invoice["id"] == case.provider_id


async def test_each_logical_create_carries_its_own_idempotency_key(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        await client.create(debt("A-1"))
        await client.create(debt("A-2"))
    keys = [r.idempotency_key for r in posts(sim)]
    assert None not in keys
    assert len(set(keys)) == 2


async def test_create_sends_the_idempotency_key_it_is_given(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        await client.create(debt(), idempotency_key="order-42-attempt")
    assert posts(sim)[0].idempotency_key == "order-42-attempt"


async def test_idempotency_key_over_255_characters_is_refused_locally(
    sim: RunningSimulator,
) -> None:
    async with connect(sim) as client:
        with pytest.raises(ValidationError):
            await client.create(debt(), idempotency_key="k" * 256)
    assert sim.state.requests == []


async def test_create_after_a_lost_response_replays_the_same_case_once(
    sim_factory: Any,
) -> None:
    faults = Faults(lost_response=0.5, seed=seed_losing_first_draw_only())
    sim = await sim_factory(faults=faults, fault_methods=("POST",))
    async with connect(sim) as client:
        case = await client.create(debt())
    attempts = posts(sim)
    assert len(attempts) == 2
    assert attempts[0].idempotency_key == attempts[1].idempotency_key
    assert [a.replayed for a in attempts] == [False, True]
    assert list(sim.state.cases) == [case.provider_id]


async def test_create_after_a_timeout_replays_the_committed_case(sim_factory: Any) -> None:
    # The stall outlasts the timeout by far, and the timeout leaves an unstalled create on a
    # loaded machine ample time: which attempt times out cannot depend on the machine's speed.
    faults = Faults(timeout=0.5, stall=3.0, seed=seed_losing_first_draw_only())
    sim = await sim_factory(faults=faults, fault_methods=("POST",))
    async with connect(sim, timeouts=Timeouts(total=1.0)) as client:
        case = await client.create(debt())
    assert [a.replayed for a in posts(sim)] == [False, True]
    assert list(sim.state.cases) == [case.provider_id]


async def test_create_after_a_server_error_retries_with_the_same_key(sim_factory: Any) -> None:
    faults = Faults(server_error=0.5, seed=seed_losing_first_draw_only())
    sim = await sim_factory(faults=faults, fault_methods=("POST",))
    async with connect(sim) as client:
        case = await client.create(debt())
    assert len(posts(sim)) == 1  # the injected 500 never reached the application
    assert list(sim.state.cases) == [case.provider_id]


async def test_replaying_a_key_with_the_same_body_returns_the_same_case(
    sim: RunningSimulator,
) -> None:
    async with connect(sim) as client:
        first = await client.create(debt(), idempotency_key="same-key")
        second = await client.create(debt(), idempotency_key="same-key")
    assert first.provider_id == second.provider_id
    assert len(sim.state.cases) == 1


async def test_reusing_a_key_with_another_body_raises_idempotency_conflict(
    sim: RunningSimulator,
) -> None:
    async with connect(sim) as client:
        await client.create(debt("A-1"), idempotency_key="same-key")
        with pytest.raises(BusinessRuleError) as caught:
            await client.create(debt("A-2"), idempotency_key="same-key")
    assert caught.value.error_type == "IdempotencyConflict"
    assert sim.state.created_references() == ["A-1"]


async def test_a_refused_body_is_not_stored_so_the_fixed_body_may_reuse_the_key(
    sim: RunningSimulator,
) -> None:
    future = debt(due_date=TODAY + dt.timedelta(days=5))
    async with connect(sim, relax={"debitura.due_date"}) as client:
        with pytest.raises(BadRequestError):
            await client.create(future, idempotency_key="retry-me")
        case = await client.create(debt(), idempotency_key="retry-me")
    assert list(sim.state.cases) == [case.provider_id]


async def test_create_recovers_the_case_by_reference_when_every_response_is_lost(
    sim_factory: Any,
) -> None:
    sim = await sim_factory(faults=Faults(lost_response=1.0), fault_methods=("POST",))
    async with connect(sim) as client:
        case = await client.create(debt())
    assert len(posts(sim)) == FAST.attempts
    assert list(sim.state.cases) == [case.provider_id]


async def test_create_that_never_reached_the_server_raises_its_error(sim_factory: Any) -> None:
    sim = await sim_factory(faults=Faults(server_error=1.0), fault_methods=("POST",))
    async with connect(sim) as client:
        with pytest.raises(ServerError):
            await client.create(debt())
    assert sim.state.cases == {}


async def test_create_is_ambiguous_when_the_lookup_fails_too(sim_factory: Any) -> None:
    sim = await sim_factory(faults=Faults(reset=1.0))
    async with connect(sim) as client:
        with pytest.raises(AmbiguousWriteError) as caught:
            await client.create(debt())
    assert caught.value.references == ("INV-2024-001",)


async def test_duplicate_reference_raises_duplicate_error_naming_it(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        await client.create(debt())
        with pytest.raises(DuplicateError) as caught:
            await client.create(debt())
    assert (caught.value.reference, caught.value.status) == ("INV-2024-001", 400)
    assert len(sim.state.cases) == 1


async def test_duplicate_reference_as_a_business_error_raises_duplicate_error(
    sim_factory: Any,
) -> None:
    sim = await sim_factory(duplicate_errors="business")
    async with connect(sim) as client:
        await client.create(debt())
        with pytest.raises(DuplicateError) as caught:
            await client.create(debt())
    assert (caught.value.reference, caught.value.status) == ("INV-2024-001", 422)


async def test_unsigned_agreement_raises_missing_contract_with_its_solution_url(
    sim_factory: Any,
) -> None:
    sim = await sim_factory(unsigned_contracts=("sdca",))
    async with connect(sim) as client:
        with pytest.raises(BusinessRuleError) as caught:
            await client.create(debt())
    assert caught.value.error_type == "MissingDebtCollectionContract"
    assert caught.value.solution_url == "https://app.debitura.com/settings/contracts"
    assert sim.state.cases == {}


async def test_unsigned_power_of_attorney_raises_missing_power_of_attorney(
    sim_factory: Any,
) -> None:
    sim = await sim_factory(unsigned_contracts=("poa",))
    async with connect(sim) as client:
        with pytest.raises(BusinessRuleError) as caught:
            await client.create(debt())
    assert caught.value.error_type == "MissingPowerOfAttorney"


async def test_allowing_pending_contracts_creates_a_case_awaiting_signature(
    sim_factory: Any,
) -> None:
    sim = await sim_factory(unsigned_contracts=("sdca",))
    async with connect(sim) as client:
        case = await client.create(debt(), allow_pending_contracts=True)
    assert (case.status, case.provider_status) == (
        CaseStatus.ACTION_REQUIRED,
        "Pending contract signing",
    )
    assert case.action_url == "https://app.debitura.com/settings/contracts"
    assert case.raw["signingHandoff"]["combinedSigningUrl"].startswith("https://app.debitura")


async def test_uncovered_country_raises_no_partner_available(sim_factory: Any) -> None:
    sim = await sim_factory(uncovered_countries=("FR",))
    async with connect(sim) as client:
        with pytest.raises(BusinessRuleError) as caught:
            await client.create(debt())
    assert caught.value.error_type == "NoPartnerAvailable"


async def test_legacy_no_partner_answer_raises_a_business_rule_error(sim_factory: Any) -> None:
    sim = await sim_factory(uncovered_countries=("FR",), legacy_business_errors=True)
    async with connect(sim) as client:
        with pytest.raises(BusinessRuleError) as caught:
            await client.create(debt())
    assert caught.value.error_type == "BusinessRule"


async def test_blocked_creditor_raises_creditor_blocked(sim_factory: Any) -> None:
    sim = await sim_factory(creditor_blocked=True)
    async with connect(sim) as client:
        with pytest.raises(BusinessRuleError) as caught:
            await client.create(debt())
    assert caught.value.error_type == "CreditorBlocked"


@pytest.mark.parametrize("style", ["dictionary", "pascal_dictionary", "problem_details"])
async def test_server_field_errors_come_back_at_neutral_paths(sim_factory: Any, style: str) -> None:
    sim = await sim_factory(validation_errors=style)
    future = debt(due_date=TODAY + dt.timedelta(days=5))
    async with connect(sim, relax={"debitura.due_date"}) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.create(future)
    assert [p.path for p in caught.value.problems] == ["due_date"]


async def test_server_errors_as_api_error_response_keep_the_message(sim_factory: Any) -> None:
    sim = await sim_factory(validation_errors="api_error")
    future = debt(due_date=TODAY + dt.timedelta(days=5))
    async with connect(sim, relax={"debitura.due_date"}) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.create(future)
    assert caught.value.message.startswith("dueDate:")


async def test_us_debtor_given_as_california_is_created_with_state_code_ca(
    sim: RunningSimulator,
) -> None:
    async with connect(sim) as client:
        case = await client.create(us_debt("US-1", "California"))
    assert (case.raw["debtor"]["stateAlpha2"], case.raw["debtor"]["countryAlpha2"]) == ("CA", "US")
    assert case.raw["debtor"]["state"] == "California"


async def test_us_debtor_without_a_state_is_refused_by_the_simulator_too(
    sim: RunningSimulator,
) -> None:
    async with connect(sim, relax={"debitura.us_state"}) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.create(us_debt("US-2", None))
    assert [p.path for p in caught.value.problems] == ["debtor.address.state"]


async def test_invalid_case_is_refused_locally_with_all_problems_and_nothing_sent(
    sim: RunningSimulator,
) -> None:
    bad = make_full_debt(
        creditor_reference="R" * 51,
        amount=Decimal("-5"),
        overdue=None,
        currency="EURO",
        invoice_date=TODAY + dt.timedelta(days=1),
        due_date=None,
        description="d" * 4001,
        options={"debitura": {"is_test": "yes", "colour": "red"}},
    )
    address = Address(street=None, city=None, country="US", state=None)
    bad = attrs.evolve(bad, debtor=attrs.evolve(bad.debtor, address=address, phone=None))
    async with connect(sim) as client:
        with pytest.raises(ValidationError) as caught:
            await client.create(bad)
    assert sorted(p.path for p in caught.value.problems) == [
        "amount",
        "creditor_reference",
        "currency",
        "debtor.address.city",
        "debtor.address.state",
        "debtor.address.street",
        "description",
        "invoice_date",
        "options.debitura.colour",
        "options.debitura.is_test",
    ]
    assert sim.state.requests == []


async def test_test_mode_and_tag_reach_the_case(sim: RunningSimulator) -> None:
    options = {"debitura": {"is_test": True, "tag": "suite-run-7"}}
    async with connect(sim) as client:
        case = await client.create(debt(options=options))
    assert case.raw["isTestCase"] is True


async def test_skipping_verification_starts_the_case_active(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await client.create(debt(options={"debitura": {"skip_debitura_verification": True}}))
    assert case.status is CaseStatus.IN_PROGRESS


async def test_division_option_assigns_the_case_to_that_division(sim: RunningSimulator) -> None:
    division = next(iter(sim.state.divisions))
    async with connect(sim) as client:
        case = await client.create(debt(options={"debitura": {"creditor_division_id": division}}))
    assert case.raw["creditorDivisionId"] == division


# -- reads -----------------------------------------------------------------------------------


async def test_get_returns_the_case_by_its_id(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.create(debt())
        fetched = await client.get(created.provider_id)
    assert fetched == created


async def test_get_reflects_lifecycle_changes(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.create(debt())
        sim.state.set_lifecycle(created.provider_id, "Closed", "Paid")
        fetched = await client.get(created.provider_id)
    assert (fetched.status, fetched.provider_status) == (CaseStatus.PAID, "Closed:Paid")


async def test_get_of_an_unknown_id_raises_not_found(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(NotFoundError):
            await client.get("3fa85f64-5717-4562-b3fc-2c963f66afa6")


async def test_get_of_a_malformed_id_raises_bad_request(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(BadRequestError):
            await client.get("not-a-guid")


async def test_find_returns_the_case_by_creditor_reference(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.create(debt())
        found = await client.find("INV-2024-001")
    assert found == created


async def test_find_of_an_unknown_reference_returns_none(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        assert await client.find("NO-SUCH-REF") is None


async def test_find_encodes_references_with_reserved_characters(sim: RunningSimulator) -> None:
    reference = "A/B #1?x=%20"
    async with connect(sim) as client:
        created = await client.create(debt(reference))
        found = await client.find(reference)
    assert found is not None
    assert found.provider_id == created.provider_id


async def test_get_by_case_reference_returns_the_case(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.create(debt())
        assert created.reference is not None
        fetched = await client.get_by_case_reference(created.reference)
    assert fetched.provider_id == created.provider_id


async def test_get_by_an_unknown_case_reference_raises_not_found(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(NotFoundError):
            await client.get_by_case_reference("ZZZZZZZZ")


# -- list ------------------------------------------------------------------------------------


async def create_many(client: DebituraClient, count: int, **changes: Any) -> list[str]:
    return [(await client.create(debt(f"L-{n}", **changes))).provider_id for n in range(count)]


async def test_cases_walks_every_page_and_yields_each_case_once(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        ids = await create_many(client, 5)
        listed = [c.provider_id async for c in client.cases(page_size=2)]
    assert sorted(listed) == sorted(ids)
    pages = [r.query for r in sim.state.requests if r.method == "GET"]
    assert len(pages) == 3
    assert all("PageSize=2" in q for q in pages)


async def test_cases_skips_a_case_shifted_onto_the_next_page_by_an_insert(
    sim: RunningSimulator,
) -> None:
    async with connect(sim) as client:
        ids = await create_many(client, 4)
        listed = []
        async for case in client.cases(page_size=2):
            listed.append(case.provider_id)
            if len(listed) == 2:
                await client.create(debt("L-late"))  # pushes one seen case onto page 2
    assert listed == list(reversed(ids))


async def test_cases_filters_by_lifecycle_name(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        ids = await create_many(client, 3)
        sim.state.set_lifecycle(ids[1], "Active")
        listed = [c.provider_id async for c in client.cases(statuses=["Active"])]
    assert listed == [ids[1]]


async def test_cases_sends_statuses_as_repeated_keys(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        _ = [c async for c in client.cases(statuses=["Active", "Paused"])]
    assert "Statuses=Active&Statuses=Paused" in sim.state.requests[0].query


async def test_cases_filters_by_neutral_status_exactly(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        ids = await create_many(client, 3)
        sim.state.set_lifecycle(ids[0], "Closed", "Paid")
        sim.state.set_lifecycle(ids[1], "Closed", "Debtor Untraceable")
        listed = [c.provider_id async for c in client.cases(statuses=[CaseStatus.PAID])]
    assert listed == [ids[0]]
    assert "Statuses=Closed" in sim.state.requests[-1].query


async def test_cases_filters_by_case_ids(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        ids = await create_many(client, 3)
        listed = [c.provider_id async for c in client.cases(ids=[ids[0], ids[2]])]
    assert sorted(listed) == sorted([ids[0], ids[2]])


async def test_cases_filters_by_debtor_ids(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        first = await client.create(debt("D-1"))
        other = make_full_debt(creditor_reference="D-2")
        other = attrs.evolve(other, debtor=attrs.evolve(other.debtor, company_name="Other SA"))
        await client.create(other)
        debtor_id = sim.state.cases[first.provider_id].debtor_id
        listed = [c.provider_id async for c in client.cases(debtor_ids=[debtor_id])]
    assert listed == [first.provider_id]


async def test_cases_filters_by_division_ids(sim: RunningSimulator) -> None:
    division = next(iter(sim.state.divisions))
    async with connect(sim) as client:
        await create_many(client, 2)
        inside = await client.create(
            debt("DIV-1", options={"debitura": {"creditor_division_id": division}})
        )
        listed = [c.provider_id async for c in client.cases(division_ids=[division])]
    assert listed == [inside.provider_id]


async def test_cases_sorts_by_a_documented_field(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        for n, amount in enumerate(["300.00", "100.00", "200.00"]):
            await client.create(debt(f"S-{n}", amount=Decimal(amount), overdue=None))
        listed = [c.amount async for c in client.cases(sort="grossamount:asc")]
    assert listed == [Decimal("100.00"), Decimal("200.00"), Decimal("300.00")]
    assert "Sort=GrossAmount:asc" in sim.state.requests[-1].query


@pytest.mark.parametrize(
    "filters",
    [
        {"sort": "Amount:desc"},
        {"sort": "DueDate:sideways"},
        {"lifecycle": "Active"},
        {"page_size": 101},
        {"ids": ["not-a-guid"]},
        {"statuses": [CaseStatus.PAYMENT_PLAN]},
    ],
)
async def test_cases_refuses_unknown_filters_and_sorts_before_any_request(
    sim: RunningSimulator, filters: dict[str, Any]
) -> None:
    async with connect(sim) as client:
        with pytest.raises(ConfigurationError):
            client.cases(**filters)
    assert sim.state.requests == []


# -- preview ---------------------------------------------------------------------------------


async def test_preview_returns_eligibility_partner_and_pricing(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        result = await client.preview(debt())
    assert result.is_eligible
    assert result.required_actions == ()
    assert result.partner_assignment is not None
    assert result.pricing_preview is not None
    assert result.pricing_preview.total_success_fee_percentage == Decimal("14.00")
    assert sim.state.cases == {}


async def test_preview_lists_the_signatures_still_needed(sim_factory: Any) -> None:
    sim = await sim_factory(unsigned_contracts=("sdca", "poa"))
    async with connect(sim) as client:
        result = await client.preview(debt())
    assert [a.type for a in result.required_actions] == [
        "MissingPowerOfAttorney",
        "MissingDebtCollectionContract",
    ]
    assert result.signing_url is not None


async def test_preview_of_an_uncovered_country_is_not_eligible(sim_factory: Any) -> None:
    sim = await sim_factory(uncovered_countries=("FR",))
    async with connect(sim) as client:
        result = await client.preview(debt())
    assert (result.is_eligible, result.partner_assignment) == (False, None)
    assert result.ineligibility_reason


async def test_preview_of_a_us_debtor_resolves_the_state_jurisdiction(
    sim: RunningSimulator,
) -> None:
    async with connect(sim) as client:
        result = await client.preview(us_debt("US-P", "california"))
    assert result.jurisdiction is not None
    assert (result.jurisdiction.country_alpha2, result.jurisdiction.state_alpha2) == ("US", "CA")


# -- rate limits ------------------------------------------------------------------------------


async def test_rate_limited_request_is_retried_after_the_advertised_wait(
    sim_factory: Any,
) -> None:
    sim = await sim_factory(limits=RAPID_MINUTE, time_scale=600)  # a 0.1 s minute
    async with connect(sim) as client:
        for _ in range(3):
            await client.me()
    assert [r.status for r in sim.state.requests] == [200, 200, 429, 200]


async def test_rate_limit_wait_beyond_the_policy_is_raised_with_retry_after(
    sim_factory: Any,
) -> None:
    sim = await sim_factory(limits=RAPID_MINUTE)
    async with connect(sim, retry=RetryPolicy(max_server_wait=1.0)) as client:
        await client.me()
        await client.me()
        with pytest.raises(RateLimitedError) as caught:
            await client.me()
    assert caught.value.retry_after is not None
    assert 59 < caught.value.retry_after <= 60
