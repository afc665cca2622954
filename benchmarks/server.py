"""A provider simulator in its own process, so that its CPU is never in debtkit's figures.

``python -m benchmarks.server PROVIDER '{"latency": 0.2, "unlimited": true}'`` prints one JSON
line (base URL and credentials) once it listens, then serves until terminated.
`out_of_process()` runs it as an async context manager.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import attrs

from debtkit import load_adapter
from debtkit.plugin import RateLimit
from debtkit.simulator import CREDENTIALS, Faults, SimulatorServer


@attrs.frozen
class Served:
    base_url: str
    credentials: Mapping[str, str]
    pid: int


def _app_options(provider: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if settings.get("latency"):
        options["faults"] = Faults(latency=float(settings["latency"]))
    if settings.get("time_scale"):
        options["time_scale"] = float(settings["time_scale"])
    if settings.get("unlimited"):
        if provider == "getbill":
            options.update(write_limit=10**9, read_limit=10**9)
        else:
            options["limits"] = (RateLimit("minute", 10**9, 60.0),)
    if settings.get("batch_cost"):
        options["batch_cost"] = settings["batch_cost"]
    return options


async def _serve(provider: str, settings: Mapping[str, Any]) -> None:
    app = load_adapter(provider).simulator(**_app_options(provider, settings))
    async with SimulatorServer(app) as server:
        line = {"base_url": server.base_url, "credentials": dict(app[CREDENTIALS])}
        print(json.dumps(line), flush=True)
        await asyncio.Event().wait()


@asynccontextmanager
async def out_of_process(provider: str, **settings: Any) -> AsyncIterator[Served]:
    command = [sys.executable, "-m", "benchmarks.server", provider, json.dumps(settings)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: ASYNC220
    try:
        assert process.stdout is not None
        ready = json.loads(await asyncio.to_thread(process.stdout.readline))
        yield Served(ready["base_url"], ready["credentials"], process.pid)
    finally:
        process.terminate()
        process.wait(30)


if __name__ == "__main__":
    settings = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    asyncio.run(_serve(sys.argv[1], settings))
