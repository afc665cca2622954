"""A provider simulator in its own process, so that its CPU is never in debtkit's figures.

``python -m benchmarks.server PROVIDER '{"latency": 0.2, "unlimited": true}'`` prints one JSON
line (base URL and credentials) once it listens, then serves until terminated.
`out_of_process()` runs it as an async context manager.

Settings: ``latency``, ``time_scale``, ``unlimited``, ``batch_cost``; for GetBill also
``write_limit``/``read_limit`` and ``lost_response`` (with ``fault_methods``, ``seed``: faults
on the API only). With ``"log": true`` a second loopback server (``log_url``) answers ``GET /``
with the simulator's own log of rate-limited requests, ``[[arrival time, status], ...]``
(GetBill: writes; Debitura: every API request), and GetBill's app serves its whole request log
and the faults it served at ``GET /_bench/log`` (`simulator_log()`).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
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
    if settings.get("latency") or settings.get("lost_response"):
        options["faults"] = Faults(
            latency=float(settings.get("latency") or 0.0),
            lost_response=float(settings.get("lost_response") or 0.0),
            only_methods=tuple(settings.get("fault_methods") or ()),
            only_paths=("/external-api",) if provider == "getbill" else (),
            seed=settings.get("seed"),
        )
    if settings.get("time_scale"):
        options["time_scale"] = float(settings["time_scale"])
    if settings.get("unlimited"):
        if provider == "getbill":
            options.update(write_limit=10**9, read_limit=10**9)
        else:
            options["limits"] = (RateLimit("minute", 10**9, 60.0),)
    if settings.get("batch_cost"):
        options["batch_cost"] = settings["batch_cost"]
    for name in ("write_limit", "read_limit"):
        if settings.get(name):
            options[name] = int(settings[name])
    return options


def _log(provider: str, app: web.Application) -> list[tuple[float, int]]:
    if provider == "getbill":
        from debtkit_getbill.simulator import STATE

        return [(r.at, r.status) for r in app[STATE].requests(bucket="write")]
    from debtkit_debitura.simulator import STATE as DEBITURA_STATE

    return [(r.at, r.status) for r in app[DEBITURA_STATE].requests]


def _log_route(provider: str, app: web.Application, faults: Faults | None) -> None:
    """``GET /_bench/log``: GetBill's request log (time, method, path, bucket, status,
    admitted, query), the faults served and the ``internal_id`` of every debt held."""
    from debtkit_getbill.simulator import STATE

    async def log(_: web.Request) -> web.Response:
        entries = [
            [e.at, e.method, e.path, e.bucket, e.status, e.admitted, dict(e.query)]
            for e in app[STATE].log
        ]
        served = dict(faults.served) if faults is not None else {}
        held = [d.get("internal_id") for d in app[STATE].debts.values()]
        return web.json_response({"log": entries, "served": served, "internal_ids": held})

    if provider == "getbill":
        app.router.add_get("/_bench/log", log)


async def _serve(provider: str, settings: Mapping[str, Any]) -> None:
    options = _app_options(provider, settings)
    app = load_adapter(provider).simulator(**options)
    if settings.get("log"):
        _log_route(provider, app, options.get("faults"))
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


async def simulator_log(served: Served) -> dict[str, Any]:
    """What ``GET /_bench/log`` answers (the server must run with ``log: true``)."""
    origin = served.base_url.split("/external-api")[0]
    async with aiohttp.ClientSession() as session, session.get(f"{origin}/_bench/log") as got:
        answer: dict[str, Any] = await got.json()
    return answer


if __name__ == "__main__":
    settings = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    asyncio.run(_serve(sys.argv[1], settings))
