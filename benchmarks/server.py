"""A provider simulator in its own process, so that its CPU is never in debtkit's figures.

``python -m benchmarks.server PROVIDER '{"latency": 0.2, "unlimited": true}'`` prints one JSON
line (base URL and credentials) once it listens, then serves until terminated.
`out_of_process()` runs it as an async context manager. With ``"log": true`` a second
loopback server (``log_url``) answers ``GET /`` with the simulator's own log of rate-limited
requests, ``[[arrival time, status], ...]`` (GetBill: writes; Debitura: every API request).
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
from aiohttp import web

from debtkit import load_adapter
from debtkit.plugin import RateLimit
from debtkit.simulator import CREDENTIALS, Faults, SimulatorServer


@attrs.frozen
class Served:
    base_url: str
    credentials: Mapping[str, str]
    pid: int
    log_url: str | None = None


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


def _log(provider: str, app: web.Application) -> list[tuple[float, int]]:
    if provider == "getbill":
        from debtkit_getbill.simulator import STATE

        return [(r.at, r.status) for r in app[STATE].requests(bucket="write")]
    from debtkit_debitura.simulator import STATE as DEBITURA_STATE

    return [(r.at, r.status) for r in app[DEBITURA_STATE].requests]


async def _serve(provider: str, settings: Mapping[str, Any]) -> None:
    app = load_adapter(provider).simulator(**_app_options(provider, settings))
    log_app = web.Application()

    async def log(request: web.Request) -> web.Response:
        return web.json_response(_log(provider, app))

    log_app.router.add_get("/", log)
    async with SimulatorServer(app) as server, SimulatorServer(log_app) as log_server:
        line = {"base_url": server.base_url, "credentials": dict(app[CREDENTIALS])}
        if settings.get("log"):
            line["log_url"] = log_server.origin
        print(json.dumps(line), flush=True)
        await asyncio.Event().wait()


@asynccontextmanager
async def out_of_process(provider: str, **settings: Any) -> AsyncIterator[Served]:
    command = [sys.executable, "-m", "benchmarks.server", provider, json.dumps(settings)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: ASYNC220
    try:
        assert process.stdout is not None
        ready = json.loads(await asyncio.to_thread(process.stdout.readline))
        yield Served(ready["base_url"], ready["credentials"], process.pid, ready.get("log_url"))
    finally:
        process.terminate()
        process.wait(30)


if __name__ == "__main__":
    settings = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    asyncio.run(_serve(sys.argv[1], settings))
