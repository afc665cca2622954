"""Account, coverage and the import preflight against the simulator."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import attrs
import pytest
from debtkit_debitura.account import TeamMember
from debtkit_debitura.preflight import coverage_groups
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit import Address, ConfigurationError, NotFoundError
from debtkit.model import Debt
from tests.adapters.debitura.contract import Exchange
from tests.adapters.debitura.helpers import connect, records
from tests.conftest import make_full_debt


async def test_users_walks_every_page_once(sim: RunningSimulator) -> None:
    team = records(sim).users
    team.extend(
        {"id": f"00000000-0000-4000-8000-{n:012}", "name": f"U{n}", "email": f"u{n}@x.example"}
        for n in range(4)
    )
    async with connect(sim) as client:
        users = [u async for u in client.account.users(page_size=2)]
    assert [u.id for u in users] == [u["id"] for u in team]
    assert sim.state.count_requests(path="/users") == 3


async def test_users_page_size_is_checked_before_any_request(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(ConfigurationError):
            client.account.users(page_size=101)
    assert sim.state.requests == []


def test_a_team_members_repr_shows_no_name_or_email() -> None:
    member = TeamMember(id="u1", name="Jane Roe", email="jane@example.com")
    assert "Jane" not in repr(member)
    assert "jane@" not in repr(member)


async def test_contract_status_tells_whether_cases_can_be_created(sim_factory: Any) -> None:
    sim = await sim_factory(unsigned_contracts=("sdca",))
    async with connect(sim) as client:
        unsigned = await client.account.contract_status()
        sim.state.unsigned_contracts.clear()
        signed = await client.account.contract_status()
    assert not unsigned.ready
    assert unsigned.solution_url
    assert signed.ready


async def test_coverage_lists_jurisdictions_and_gets_one(sim_factory: Any) -> None:
    sim = await sim_factory(uncovered_countries=("SE",))
    async with connect(sim) as client:
        items = [i async for i in client.coverage.list()]
        sweden = next(i for i in items if i.country_alpha2 == "SE")
        again = await client.coverage.get(sweden.jurisdiction_id)
        with pytest.raises(NotFoundError):
            await client.coverage.get(99999)
    assert again == sweden
    assert sweden.partners == ()
    assert all(i.partners for i in items if i.country_alpha2 != "SE")


async def test_eligibility_names_the_partner(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        result = await client.coverage.check_eligibility(
            country="US", state="CA", debtor_type="Company", amount=Decimal("100"), currency="USD"
        )
    assert result.is_eligible
    assert result.partner is not None
    assert result.jurisdiction is not None
    assert result.jurisdiction.us_state_alpha2 == "CA"


async def test_an_uncovered_country_is_not_eligible(sim_factory: Any) -> None:
    sim = await sim_factory(uncovered_countries=("DE",))
    async with connect(sim) as client:
        result = await client.coverage.check_eligibility(
            country="DE", debtor_type="Private", amount=Decimal("5"), currency="EUR"
        )
    assert not result.is_eligible
    assert result.error_message


def _debt(reference: str, country: str, kind: Any = None, amount: str = "100") -> Debt:
    base = make_full_debt(creditor_reference=reference, amount=Decimal(amount), overdue=None)
    address = Address(street="Hauptstrasse", number="1", postal_code="10115", city="Berlin")
    debtor = attrs.evolve(base.debtor, address=attrs.evolve(address, country=country))
    if kind is not None:
        debtor = attrs.evolve(debtor, kind=kind)
    return attrs.evolve(base, debtor=debtor)


async def test_preflight_asks_once_per_group_and_reports_the_uncovered(sim_factory: Any) -> None:
    sim = await sim_factory(uncovered_countries=("DE",))
    debts = [_debt(f"DE-{n}", "DE") for n in range(12)] + [_debt(f"FR-{n}", "FR") for n in range(5)]
    async with connect(sim) as client:
        findings = await client.preflight(debts)
    assert [(f.group.country, f.group.debts) for f in findings] == [("DE", 12)]
    assert "no partner covers 12 debtor(s) in DE" in str(findings[0])
    assert sim.state.count_requests(path="/coverage/check-eligibility") == 2


async def test_preflight_checks_a_group_with_its_smallest_amount(
    sim: RunningSimulator, exchanges: list[Exchange]
) -> None:
    debts = [_debt("A", "FR", amount="900"), _debt("B", "FR", amount="12.5")]
    async with connect(sim) as client:
        await client.preflight(debts)
        groups = coverage_groups(debts, client.validated)
    assert [g.smallest_amount for g in groups] == [Decimal("12.5")]
    checks = [e for e in exchanges if e.path == "/coverage/check-eligibility"]
    assert [json.loads(e.request_text)["amount"] for e in checks] == [12.5]


def test_a_listing_that_is_not_an_object_is_a_validation_error() -> None:
    from debtkit_debitura.calls import items

    from debtkit import ValidationError

    with pytest.raises(ValidationError):
        items("<html>", TeamMember, "user", key="users")
    assert items({"users": None}, TeamMember, "user", key="users") == []
