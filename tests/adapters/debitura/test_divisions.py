"""Divisions against the simulator: create (idempotent), list, get, update, delete, archive."""

from __future__ import annotations

from typing import Any

import pytest
from debtkit_debitura.divisions import DivisionFields
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit import BusinessRuleError, NotFoundError, ValidationError
from debtkit.simulator import Faults
from debtkit.transport import Request
from tests.adapters.debitura.helpers import MISSING_CASE, connect, records
from tests.conftest import make_full_debt

SALES = DivisionFields(company_name="Sales ApS", city="Aarhus", country_code="DK")


async def test_a_created_division_is_listed_and_got(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.divisions.create(SALES)
        got = await client.divisions.get(created.id)
        listed = [d.id async for d in client.divisions.list(page_size=1)]
    assert got.company_name == "Sales ApS"
    assert got.country is not None
    assert got.country.alpha2 == "DK"
    assert created.id in listed
    assert len(listed) == len(records(sim).divisions) == 2  # the seeded one and this one


async def test_create_after_a_lost_response_makes_one_division(sim_factory: Any) -> None:
    faults = Faults(seed=1)
    sim = await sim_factory(faults=faults, fault_methods=("POST",))
    faults.lost_response = 0.6
    async with connect(sim) as client:
        created = [await client.divisions.create(SALES) for _ in range(5)]
    assert len({d.id for d in created}) == 5
    assert len(records(sim).divisions) == 6  # each create landed once


async def test_the_same_idempotency_key_replays_the_first_division(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        first = await client.divisions.create(SALES, idempotency_key="k1")
        again = await client.divisions.create(SALES, idempotency_key="k1")
        other = DivisionFields(company_name="Other", city="Odense", country_code="DK")
        with pytest.raises(BusinessRuleError):
            await client.divisions.create(other, idempotency_key="k1")
    assert again.id == first.id


async def test_fields_beyond_the_documented_limits_are_refused_locally(
    sim: RunningSimulator,
) -> None:
    async with connect(sim) as client:
        with pytest.raises(ValidationError) as caught:
            await client.divisions.create(
                DivisionFields(company_name="x" * 201, city="", country_code="DNK")
            )
    assert {p.path for p in caught.value.problems} == {"company_name", "city", "country_code"}
    assert sim.state.requests == []


async def test_update_replaces_every_field(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.divisions.create(
            DivisionFields(company_name="A", city="B", country_code="DK", zip_code="8000")
        )
        updated = await client.divisions.update(
            created.id, DivisionFields(company_name="A2", city="B", country_code="SE")
        )
    assert (updated.company_name, updated.zip_code) == ("A2", None)
    assert updated.country is not None
    assert updated.country.alpha2 == "SE"


async def test_archived_divisions_are_listed_only_when_asked(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.divisions.create(SALES)
        archived = await client.divisions.archive(created.id)
        default = [d.id async for d in client.divisions.list()]
        everything = [d.id async for d in client.divisions.list(include_archived=True)]
        with pytest.raises(BusinessRuleError):
            await client.divisions.archive(created.id)
    assert archived.is_archived
    assert created.id not in default
    assert created.id in everything


async def test_the_colon_alias_archives_too(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.divisions.create(SALES)
        response = await client.transport.request(
            Request("POST", f"divisions/{created.id}:archive")
        )
        got = await client.divisions.get(created.id)
    assert response.status == 200
    assert got.is_archived


async def test_an_archive_whose_answer_is_lost_is_settled_by_lookup(sim_factory: Any) -> None:
    faults = Faults()
    sim = await sim_factory(faults=faults, fault_methods=("POST",))
    async with connect(sim) as client:
        created = await client.divisions.create(SALES)
        faults.lost_response = 1.0
        archived = await client.divisions.archive(created.id)
    assert archived.is_archived


async def test_delete_removes_a_division_without_cases(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.divisions.create(SALES)
        await client.divisions.delete(created.id)
        with pytest.raises(NotFoundError):
            await client.divisions.get(created.id)
        with pytest.raises(NotFoundError):
            await client.divisions.delete(MISSING_CASE)


async def test_a_division_with_open_cases_cannot_be_deleted(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        created = await client.divisions.create(SALES)
        options = {"debitura": {"creditor_division_id": created.id}}
        await client.create(make_full_debt(options=options))
        with pytest.raises(BusinessRuleError):
            await client.divisions.delete(created.id)
