"""Worker processes sharing one SQLite ledger file, draining into the GetBill simulator."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from debtkit.bulk import open_ledger, start_import
from debtkit.simulator import Faults
from tests.integration.test_drain_into_simulators import account_of, held_references, valid_debts


async def _worker(simulator: Any, ledger: Path, import_id: str) -> asyncio.subprocess.Process:
    credentials = [f"--credential={k}={v}" for k, v in simulator.credentials.items()]
    command = [
        "-m", "debtkit", "worker", "--provider", "getbill", "--base-url", simulator.base_url,
        "--ledger", str(ledger), "--import", import_id, "--lease", "2", "--batch-size", "10",
        "--concurrency", "2", *credentials,
    ]  # fmt: skip
    quiet = asyncio.subprocess.DEVNULL
    return await asyncio.create_subprocess_exec(
        sys.executable, *command, stdout=quiet, stderr=quiet
    )


async def test_two_workers_on_one_file_with_one_killed_create_each_debt_exactly_once(
    getbill_simulator_factory: Any, tmp_path: Path
) -> None:
    # Some batches are created at once but answered only seconds later: a worker killed
    # then has debts the provider holds and its ledger rows still say sending.
    stalls = Faults(latency=0.1, timeout=0.3, stall=3.0, seed=5, only_methods=("POST",))
    simulator = await getbill_simulator_factory(faults=stalls)
    debts = valid_debts(300, "SQLKILL")
    ledger = tmp_path / "shared.sqlite"
    async with simulator.connect() as client, open_ledger(ledger) as shared:
        await start_import(client, shared, debts, account=account_of(simulator), import_id="k")
    doomed = await _worker(simulator, ledger, "k")
    survivor = await _worker(simulator, ledger, "k")
    for _ in range(2400):  # until both are well under way: at most 2 min on a loaded machine
        if len(simulator.state.debts) >= 60:
            break
        await asyncio.sleep(0.05)
    assert doomed.returncode is None, "the worker finished before it could be killed"
    doomed.send_signal(signal.SIGKILL)
    await doomed.wait()
    assert len(simulator.state.debts) < 300

    assert await asyncio.wait_for(survivor.wait(), timeout=300) == 0
    async with open_ledger(ledger) as shared:
        counts = await shared.counts("k")
    held = Counter(held_references(simulator))
    assert [ref for ref, times in held.items() if times > 1] == []  # GetBill keeps duplicates
    assert sorted(held) == sorted(d.creditor_reference for d in debts)
    assert set(counts) <= {"created", "already_created"}
    assert sum(counts.values()) == 300
