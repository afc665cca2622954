"""`debtkit demo`: the bundled example file imported into both built-in simulators.

No credentials, no network: each simulator runs in-process on loopback with its hour
compressed, and debtkit imports through the same client, budget and ledger a real import
uses. The summary shows what a real run would report.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from debtkit.bulk import bulk_import
from debtkit.cli.commands import EXAMPLE, cost_lines
from debtkit.cli.output import ProgressDisplay, Summary, budget_of
from debtkit.files import count_rows, read_debts
from debtkit.registry import Registry
from debtkit.simulator import CREDENTIALS, SimulatorServer

PROVIDERS = ("getbill", "debitura")


async def _import_into(
    name: str, registry: Registry, path: Path, folder: Path, time_scale: float
) -> Summary:
    adapter = registry.get(name)
    total = count_rows(path)
    for line in cost_lines(adapter, read_debts(path)):
        print(f"{name}: {line}")
    summary = Summary()
    started = time.monotonic()
    app = adapter.simulator(time_scale=time_scale)
    async with SimulatorServer(app) as server:
        # The budget runs on the simulator's compressed clock, so limits hold as documented.
        options: dict[str, Any] = {"base_url": server.base_url, "time_scale": time_scale}
        options["credentials"] = _credentials(app, adapter.name)
        async with adapter.connect(**options) as client:
            with ProgressDisplay(name, total, budget=budget_of(client)) as display:
                async for result in bulk_import(
                    client, read_debts(path), ledger=folder / f"{name}.ledger.sqlite",
                    on_progress=display.update,
                ):  # fmt: skip
                    summary.add(result)  # keeps a few examples of each failure
                    display.count(result)
    extra = {
        "time": f"{time.monotonic() - started:.1f}s (simulated hour lasts {3600 / time_scale:g}s)"
    }
    for line in summary.lines(name, extra):
        print(line)
    return summary


def _credentials(app: web.Application, provider: str) -> dict[str, str]:
    stored = app.get(CREDENTIALS)
    if not stored:
        raise RuntimeError(f"the {provider} simulator does not publish its credentials")
    return dict(stored)


async def _demo(registry: Registry, time_scale: float) -> int:
    from importlib.resources import as_file, files

    with (
        as_file(files("debtkit.data").joinpath(EXAMPLE)) as path,
        tempfile.TemporaryDirectory() as tmp,
    ):
        print(f"debtkit demo: importing {count_rows(path)} debts from {EXAMPLE}")
        for name in PROVIDERS:
            await _import_into(name, registry, Path(path), Path(tmp), time_scale)
    return 0


def demo(registry: Registry, time_scale: float = 3600.0) -> int:
    return asyncio.run(_demo(registry, time_scale))
