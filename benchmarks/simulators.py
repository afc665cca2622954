"""Start a provider's simulator on loopback and connect debtkit to it, as the demo does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from debtkit import load_adapter
from debtkit.plugin import ProviderClient
from debtkit.simulator import CREDENTIALS, SimulatorServer


@asynccontextmanager
async def simulator(
    provider: str, **options: Any
) -> AsyncIterator[tuple[web.Application, SimulatorServer]]:
    app = load_adapter(provider).simulator(**options)
    async with SimulatorServer(app) as server:
        yield app, server


def connect(
    provider: str, app: web.Application, server: SimulatorServer, **options: Any
) -> ProviderClient:
    return load_adapter(provider).connect(
        dict(app[CREDENTIALS]), base_url=server.base_url, **options
    )
