"""A fleet of ``debtkit worker`` processes on one import: budget use and takeover time.

- **Budget used, N workers versus one.** The same import size is drained into Debitura's
  simulator (its own process, no faults) whose per-minute limit is compressed to one second
  and lowered so that it binds; the workers share the budget through Redis (``--budget``).
  "Used" is what the simulator admitted between its first and last admitted request, divided
  by what the limit allows over that span. One worker is CPU-bound on a small machine; the
  question is whether several, coordinating through Redis, use the rest without a 429.
- **Takeover.** Two workers drain an import with a short lease; once a fifth of the debts are
  settled one is killed with SIGKILL. Measured: from the kill until no unsettled debt is
  still claimed by the dead worker (its claims taken over by the survivor), against the
  lease. The claims are read from the ledger's table (``debtkit_import_debts.claimed_by``
  names the worker's pid).

Ledger operations per debt (PostgreSQL versus SQLite) are `benchmarks/ledger.py`'s.

Needs the PostgreSQL server binaries (a throwaway cluster, `tests/postgres_server.py`) and
``redis-server``; without them the figures are skipped. The simulator process, the import's
start and the worker command are the fleet test's (`tests/integration/fleet.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.report import Figure
from tests import postgres_server
from tests.integration.fleet import FleetPlan, settled, start, worker_command
from tests.simulator_process import ROOT, SimulatorProcess

HIGH = 10**8
BOUND = 900.0  # seconds: a bound for a hang


def _plan(debts: int, per_second: int, lease: float = 60.0) -> FleetPlan:
    limits = [["minute", per_second, 60, "sliding"], ["hour", HIGH, 3600, "fixed"]]
    limits.append(["day", HIGH, 86400, "fixed"])
    return FleetPlan(
        provider="debitura",
        debts=debts,
        simulator={"time_scale": 60.0, "limits": limits},
        rates=(f"minute={per_second}", f"hour={HIGH}", f"day={HIGH}"),
        time_scale=60.0,
        concurrency=8,
        lease=lease,
    )


@contextlib.contextmanager
def _redis() -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise LookupError("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with tempfile.TemporaryDirectory() as folder:
        command = [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        server = subprocess.Popen(
            [*command, "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(10)


async def _database(server_url: str) -> str:
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server_url.rsplit("/", 1)[0] + "/" + name


@contextlib.asynccontextmanager
async def _workers(command: list[str], count: int) -> AsyncIterator[list[Any]]:
    quiet = asyncio.subprocess.DEVNULL
    spawned = [
        await asyncio.create_subprocess_exec(*command, stdout=quiet, stderr=quiet, cwd=ROOT)
        for _ in range(count)
    ]
    try:
        yield spawned
    finally:
        for worker in spawned:
            if worker.returncode is None:
                worker.kill()
            await worker.wait()


async def _budget_used(plan: FleetPlan, workers: int, server_url: str, redis: str) -> float:
    """Share of the limit the simulator admitted over its busy span, in percent."""
    ledger = await _database(server_url)
    async with SimulatorProcess(plan.provider, **plan.simulator) as simulator:
        with tempfile.TemporaryDirectory() as folder:
            import_id, _ = await start(plan, simulator, ledger, Path(folder) / "debts.jsonl")
        command = worker_command(plan, simulator, ledger, import_id, redis)
        async with _workers(command, workers) as spawned:
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in spawned)), BOUND)
        report = await simulator.report()
    if report["throttled"]:
        raise AssertionError(f"{report['throttled']} requests were answered 429")
    span = float(report["last"]) - float(report["first"])
    per_second = int(plan.rates[0].split("=")[1])
    allowed = per_second * span + per_second  # the window's worth at the start is free
    return 100.0 * report["requests"] / allowed


async def _held_by(ledger: str, import_id: str, pid: int) -> int:
    import asyncpg

    connection = await asyncpg.connect(ledger)
    try:
        found = await connection.fetchval(
            "SELECT count(*) FROM debtkit_import_debts WHERE import_id = $1"
            " AND outcome IS NULL AND claimed_by LIKE $2",
            import_id,
            f"%:{pid}:%",
        )
    finally:
        await connection.close()
    return int(found)


async def _settled_at_least(ledger: str, import_id: str, count: int) -> bool:
    return await settled(ledger, import_id) >= count


async def _none_held_by(ledger: str, import_id: str, pid: int) -> bool:
    return await _held_by(ledger, import_id, pid) == 0


async def _poll(condition: Callable[[], Awaitable[bool]], every: float = 0.05) -> None:
    """Until `condition()` holds: the ledger is another process's, no event tells us."""
    deadline = asyncio.get_running_loop().time() + BOUND
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the fleet made no progress")
        await asyncio.sleep(every)


async def _takeover(plan: FleetPlan, server_url: str, redis: str) -> tuple[float, int]:
    """Seconds from a SIGKILL until the dead worker holds no unsettled debt; debts it held."""
    ledger = await _database(server_url)
    async with SimulatorProcess(plan.provider, **plan.simulator) as simulator:
        with tempfile.TemporaryDirectory() as folder:
            import_id, _ = await start(plan, simulator, ledger, Path(folder) / "debts.jsonl")
        command = worker_command(plan, simulator, ledger, import_id, redis)
        async with _workers(command, 2) as (doomed, survivor):
            loop = asyncio.get_running_loop()
            await _poll(lambda: _settled_at_least(ledger, import_id, plan.debts // 5))
            doomed.send_signal(signal.SIGKILL)
            killed_at = loop.time()
            held = await _held_by(ledger, import_id, doomed.pid)
            await _poll(lambda: _none_held_by(ledger, import_id, doomed.pid))
            taken_over = loop.time() - killed_at
            await asyncio.wait_for(survivor.wait(), BOUND)
    return taken_over, held


async def _measure(quick: bool) -> list[Figure]:
    debts, per_second, lease = (300, 60, 2.0) if quick else (3000, 150, 10.0)
    with postgres_server.running_cluster() as server_url, _redis() as redis:
        budget = _plan(debts, per_second)
        one = await _budget_used(budget, 1, server_url, redis)
        four = await _budget_used(budget, 4, server_url, redis)
        seconds, held = await _takeover(_plan(debts, per_second, lease), server_url, redis)
    return [
        Figure(
            "fleet",
            "budget used, 4 workers (vs 1)",
            four,
            one,
            "%",
            ">= 0.9x one worker's, no 429",
            four >= 0.9 * one,
            f"Debitura simulator, {debts} debts, limit {per_second}/s sliding (a minute"
            " compressed to 1 s), budget in Redis; used = admitted / allowed over the span",
        ),
        Figure(
            "fleet",
            "takeover after SIGKILL (vs lease)",
            seconds,
            lease,
            "s",
            "within lease + 2 s",
            seconds <= lease + 2.0,
            f"2 workers, one killed with {held} unsettled debts claimed; time until the"
            " survivor held them all",
        ),
    ]


def run(quick: bool = False) -> list[Figure]:
    if not postgres_server.binaries_available() or shutil.which("redis-server") is None:
        print("(skipping fleet: needs the PostgreSQL server binaries and redis-server)")
        return []
    return asyncio.run(_measure(quick))


if __name__ == "__main__":
    from benchmarks.report import table

    print(table(run(quick="--quick" in sys.argv)))
