"""Fixtures for the Debitura tests.

Integration tests use ``sim`` / ``sim_factory``: the shipped simulator fixtures plus a
recorder, and every request and response that crossed the wire during the test is checked
against Debitura's OpenAPI document when the test ends. Without the document (it lives
outside the repository) those tests skip and say why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from debtkit_debitura.pytest_plugin import RunningSimulator, SimulatorFactory

from tests.adapters.debitura.contract import (
    SPEC_PATH,
    Exchange,
    SpecContract,
    load_contract,
    recorder,
)

TODAY = dt.date(2024, 6, 1)  # the fixed "today" of the tests; conftest debts date from 2023


@pytest.fixture(scope="session")
def spec_contract() -> SpecContract:
    contract = load_contract()
    if contract is None:
        pytest.skip(f"Debitura's OpenAPI document is absent ({SPEC_PATH}); contract not checkable")
    return contract


@pytest.fixture
def exchanges() -> list[Exchange]:
    return []


@pytest.fixture
async def sim_factory(
    debitura_simulator_factory: SimulatorFactory,
    spec_contract: SpecContract,
    exchanges: list[Exchange],
) -> AsyncIterator[Callable[..., Awaitable[RunningSimulator]]]:
    async def start(**options: Any) -> RunningSimulator:
        options.setdefault("today", lambda: TODAY)
        return await debitura_simulator_factory(middlewares=[recorder(exchanges)], **options)

    yield start
    violations = spec_contract.check_all(exchanges)
    assert not violations, "traffic outside Debitura's OpenAPI document:\n" + "\n".join(violations)


@pytest.fixture
async def sim(sim_factory: Callable[..., Awaitable[RunningSimulator]]) -> RunningSimulator:
    return await sim_factory()
