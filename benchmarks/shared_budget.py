"""A budget shared through Redis by several processes: share of the limit used, and 429s.

N real worker processes (1, 2, 4) each run greedy GetBill creates through
`shared_budget_for_adapter` on one redis-server, against one GetBill simulator in its own
process (200 ms latency, its hour compressed to `window` seconds), together offering twice the
write limit's rate. "Used" is the writes the simulator admitted in the first `WINDOWS` whole
windows after the common start, divided by `WINDOWS` x the limit, from the simulator's own
log; 429s and the worst rolling window come from the same log.

``python -m benchmarks.shared_budget worker ...`` is one worker process (internal).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import attrs

from benchmarks.report import Figure
from benchmarks.server import out_of_process
from debtkit import load_adapter
from debtkit.budget.redis_books import shared_budget_for_adapter
from debtkit.sample import sample_debts

LATENCY = 0.2
WINDOWS = 3
LIMIT = 500  # GetBill's writes per hour
STARTUP = 6.0  # seconds for every worker to import and connect before the common start
WORKER = ["-m", "benchmarks.shared_budget"]


@contextmanager
def redis_server() -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not on PATH")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        command = [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        command += ["--appendonly", "no", "--dir", workdir]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(10)


def _score(log: list[list[float]], start: float, window: float) -> tuple[float, int, int]:
    """(share used in the first whole windows, 429s, worst rolling-window count)."""
    admitted = sorted(t for t, status in log if status != 429)
    inside = sum(1 for t in admitted if start <= t < start + WINDOWS * window)
    worst, j = 0, 0
    for i, t in enumerate(admitted):  # two pointers: requests in [t, t + window)
        while j < len(admitted) and admitted[j] < t + window:
            j += 1
        worst = max(worst, j - i)
    return inside / (WINDOWS * LIMIT), sum(1 for _, s in log if s == 429), worst


async def _run(processes: int, window: float, redis_url: str) -> tuple[float, int, int]:
    time_scale = 3600.0 / window
    settings = {"latency": LATENCY, "time_scale": time_scale, "log": True}
    async with out_of_process("getbill", **settings) as served:
        start = time.time() + STARTUP
        seconds = (WINDOWS + 0.5) * window
        # Together three times the limit's rate at this latency.
        tasks = int(LIMIT / window * (LATENCY + 0.05) * 3 / processes) + 4
        namespace = f"bench-{time.time_ns()}"
        options = {
            "redis": redis_url, "base_url": served.base_url, "namespace": namespace,
            "credentials": dict(served.credentials), "time_scale": time_scale,
            "start": start, "seconds": seconds, "tasks": tasks,
        }  # fmt: skip
        workers = [_spawn({**options, "index": i}) for i in range(processes)]
        for worker in workers:
            await asyncio.to_thread(worker.wait, seconds + STARTUP + 120)
        assert served.log_url is not None
        async with aiohttp.ClientSession() as session, session.get(served.log_url) as response:
            log = await response.json()
    return _score(log, start, window)


def _spawn(options: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *WORKER, "worker", json.dumps(options)])


async def _worker(options: dict[str, Any]) -> None:
    adapter = load_adapter("getbill")
    budget = shared_budget_for_adapter(
        options["redis"],
        adapter,
        options["credentials"],
        time_scale=options["time_scale"],
        namespace=options["namespace"],
    )
    debts = [
        d
        for d in sample_debts(400, seed=29 + options["index"], broken=0.0)
        if d.debtor.address and d.debtor.address.country == "FR"
    ]
    counter = iter(range(10**9))
    client = adapter.connect(options["credentials"], base_url=options["base_url"], gate=budget)
    async with client:
        await asyncio.sleep(max(options["start"] - time.time(), 0))
        deadline = options["start"] + options["seconds"]

        async def caller() -> None:
            while time.time() < deadline:
                i = next(counter)
                debt = debts[i % len(debts)]
                reference = f"SHARED-{options['index']}-{i:07d}"
                debt = attrs.evolve(debt, creditor_reference=reference)
                await client.create(debt, check_existing=False)  # as bulk imports do

        await asyncio.gather(*(caller() for _ in range(options["tasks"])))
    await budget.aclose()


def run(quick: bool = False) -> list[Figure]:
    window = 6.0 if quick else 20.0
    figures = []
    with redis_server() as redis_url:
        for processes in (1, 2) if quick else (1, 2, 4):
            used, rejected, worst = asyncio.run(_run(processes, window, redis_url))
            figures.append(
                Figure(
                    "shared_budget",
                    f"getbill writes, {processes} process(es) on one Redis budget",
                    used * 100,
                    100.0,
                    "%",
                    ">= 99% and 0 x 429",
                    used >= 0.99 and rejected == 0,
                    note=(
                        f"{processes} process(es): window {window:g}s, {LATENCY * 1000:g} ms "
                        f"latency; {rejected} x 429, worst rolling window {worst}/{LIMIT}"
                    ),
                )
            )
    return figures


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    asyncio.run(_worker(json.loads(sys.argv[2])))
