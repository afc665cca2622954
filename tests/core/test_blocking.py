"""The blocking facade runs the async clients' own calls from plain synchronous code."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from debtkit_getbill.client import GetBillClient
from debtkit_getbill.simulator import RunningSimulator

from debtkit import ConfigurationError, Debt, Debtor, NotFoundError
from debtkit.blocking import Blocking, blocking


def _debt(reference: str) -> Debt:
    debtor = Debtor(first_name="Ana", last_name="Lopez", email="ana@example.com")
    return Debt(reference, debtor, Decimal("120.50"), "EUR")


@pytest.fixture
def simulator() -> Iterator[Blocking[RunningSimulator]]:
    with blocking(RunningSimulator) as running:
        yield running


def _connect(simulator: Blocking[RunningSimulator]) -> Blocking[GetBillClient]:
    running = simulator.client
    return blocking(lambda: running.connect())


def test_calls_return_what_the_async_client_returns(
    simulator: Blocking[RunningSimulator],
) -> None:
    with _connect(simulator) as client:
        case = client.create(_debt("B-1"))
        assert client.get(case.provider_id).creditor_reference == "B-1"


def test_async_iterators_become_plain_iterators(simulator: Blocking[RunningSimulator]) -> None:
    with _connect(simulator) as client:
        for number in range(3):
            client.create(_debt(f"B-{number}"))
        assert sorted(case.creditor_reference for case in client.cases()) == ["B-0", "B-1", "B-2"]


def test_typed_errors_reach_the_caller(simulator: Blocking[RunningSimulator]) -> None:
    with _connect(simulator) as client, pytest.raises(NotFoundError):
        client.get("no-such-debt")


def test_closing_closes_the_client_and_ends_its_thread(
    simulator: Blocking[RunningSimulator],
) -> None:
    before = threading.active_count()
    client = _connect(simulator)
    client.create(_debt("B-9"))
    client.close()
    assert threading.active_count() == before
    with pytest.raises(ConfigurationError):
        client.get("anything")
