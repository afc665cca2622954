"""pytest fixtures for the getbill simulator (registered through the pytest11 entry point).

- ``getbill_simulator``: a default simulator on 127.0.0.1 (random port), as a
  `debtkit_getbill.simulator.RunningSimulator` (``base_url``, ``credentials``, ``state``,
  ``connect()``).
- ``getbill_simulator_factory``: an async callable taking `create_app` options (limits,
  ``time_scale``, ``faults``, ``clock``...) and returning a started simulator; every one it
  started is stopped after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

from debtkit_getbill.simulator import RunningSimulator

if TYPE_CHECKING:
    from pytest_asyncio import fixture as _async_fixture
else:
    try:  # async fixtures: pytest-asyncio's decorator also works in its strict mode
        from pytest_asyncio import fixture as _async_fixture
    except ImportError:  # pragma: no cover - without pytest-asyncio nothing awaits them
        _async_fixture = pytest.fixture

SimulatorFactory = Callable[..., Awaitable[RunningSimulator]]


@_async_fixture
async def getbill_simulator() -> AsyncIterator[RunningSimulator]:
    async with RunningSimulator() as simulator:
        yield simulator


@_async_fixture
async def getbill_simulator_factory() -> AsyncIterator[SimulatorFactory]:
    started: list[RunningSimulator] = []

    async def start(**options: Any) -> RunningSimulator:
        simulator = RunningSimulator(**options)
        await simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in reversed(started):
        await simulator.stop()
