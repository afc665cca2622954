"""pytest fixtures for the debitura simulator (registered through the pytest11 entry point).

- ``debitura_simulator``: a default simulator on 127.0.0.1 (random port) for the test;
- ``debitura_simulator_factory``: ``await factory(**create_app_options)`` starts one with
  custom limits, faults, contract switches...; all are stopped when the test ends.

Each yields a `RunningSimulator` with ``base_url``, ``credentials``, ``state``, ``records`` and
``connect(**options)`` (a `DebituraClient` pointed at it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import attrs
import pytest

from debtkit.simulator import SimulatorServer
from debtkit_debitura.adapter import DebituraAdapter
from debtkit_debitura.client import DebituraClient
from debtkit_debitura.simulator import (
    DEFAULT_API_KEY,
    RECORDS,
    STATE,
    Records,
    SimulatorState,
    create_app,
)

try:  # strict-mode projects need pytest-asyncio's decorator; without it, plain pytest's
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - pytest-asyncio is part of debtkit[test]
    _async_fixture = pytest.fixture  # type: ignore[assignment]

__all__ = ["RunningSimulator", "SimulatorFactory"]


@attrs.frozen
class RunningSimulator:
    base_url: str
    credentials: Mapping[str, str]
    state: SimulatorState
    server: SimulatorServer = attrs.field(repr=False)

    @property
    def records(self) -> Records:
        """Files, chats, divisions... and the hooks that play collection (`needs_info`...)."""
        return self.server.app[RECORDS]

    def connect(self, **options: Any) -> DebituraClient:
        return DebituraAdapter().connect(self.credentials, base_url=self.base_url, **options)


SimulatorFactory = Callable[..., Awaitable[RunningSimulator]]


@_async_fixture
async def debitura_simulator_factory() -> AsyncIterator[SimulatorFactory]:
    servers: list[SimulatorServer] = []

    async def start(**options: Any) -> RunningSimulator:
        keys = list(options.get("api_keys", (DEFAULT_API_KEY,)))
        app = create_app(**options)
        server = SimulatorServer(app, host="127.0.0.1")
        await server.start()
        servers.append(server)
        return RunningSimulator(server.origin, {"api_key": keys[0]}, app[STATE], server)

    try:
        yield start
    finally:
        for server in reversed(servers):
            await server.stop()


@_async_fixture
async def debitura_simulator(
    debitura_simulator_factory: SimulatorFactory,
) -> RunningSimulator:
    return await debitura_simulator_factory()
