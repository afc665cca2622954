"""Bulk imports into the provider simulators, end to end on loopback."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from debtkit import Validator, load_adapter, to_json
from debtkit.bulk import Outcome, bulk_import
from debtkit.sample import sample_debts
from debtkit.simulator import Faults


async def test_ten_thousand_getbill_debts_go_out_in_at_most_ten_batch_requests(
    getbill_simulator_factory: Any,
) -> None:
    simulator = await getbill_simulator_factory(time_scale=3600)
    async with simulator.connect() as client:
        valid = (
            d
            for d in sample_debts(10_200, seed=21, broken=0.0, prefix="TENK")
            if client.check(d).ok
        )
        debts = list(itertools.islice(valid, 10_000))
        outcomes = [r.outcome async for r in bulk_import(client, debts)]
    batches = simulator.state.requests(method="POST", path="/debts/batch")
    assert outcomes.count(Outcome.CREATED) == 10_000
    assert len(batches) <= 10
    assert sum(len(r.body["debts"]) for r in batches) == 10_000


def _references_at(provider: str, simulator: Any) -> list[str]:
    if provider == "getbill":
        return [d["internal_id"] for d in simulator.state.debts.values()]
    return [c.invoice["creditorReference"] for c in simulator.state.cases.values()]


async def _import(
    source: Path, ledger: Path, provider: str, simulator: Any
) -> asyncio.subprocess.Process:
    credentials = [f"--credential={k}={v}" for k, v in simulator.credentials.items()]
    command = [
        "-m", "debtkit", "import", str(source), "--provider", provider,
        "--base-url", simulator.base_url, "--ledger", str(ledger),
        "--results", f"{ledger}.out", "--concurrency", "4", "--batch-size", "10", *credentials,
    ]  # fmt: skip
    quiet = asyncio.subprocess.DEVNULL
    return await asyncio.create_subprocess_exec(
        sys.executable, *command, stdout=quiet, stderr=quiet
    )


def _settled(ledger: Path) -> int:
    try:
        with sqlite3.connect(ledger) as db:
            return int(
                db.execute("SELECT COUNT(*) FROM debts WHERE state = 'created'").fetchone()[0]
            )
    except sqlite3.Error:
        return 0


def _not_created(results: Path) -> list[str]:
    return [line for line in results.read_text().splitlines() if 'created"' not in line][:5]


@pytest.mark.parametrize("provider", ["getbill", "debitura"])
async def test_import_killed_mid_run_resumes_and_creates_every_debt_exactly_once(
    provider: str,
    getbill_simulator_factory: Any,
    debitura_simulator_factory: Any,
    tmp_path: Path,
) -> None:
    faults = Faults(server_error=0.05, lost_response=0.05, reset=0.03, latency=0.02, seed=5)
    factory = {"getbill": getbill_simulator_factory, "debitura": debitura_simulator_factory}
    simulator = await factory[provider](faults=faults)
    validator = Validator(load_adapter(provider).policy_rules())
    sample = sample_debts(260, seed=8, broken=0.0, prefix=f"KILL-{provider}")
    debts = list(itertools.islice((d for d in sample if validator.check(d).ok), 240))
    source = tmp_path / "debts.jsonl"
    source.write_text("".join(to_json(d) + "\n" for d in debts))
    ledger = tmp_path / "ledger.sqlite"

    first = await _import(source, ledger, provider, simulator)
    for _ in range(2400):  # wait until it is well under way: at most 2 min on a loaded machine
        if _settled(ledger) >= 30:
            break
        await asyncio.sleep(0.05)
    assert first.returncode is None, "the import finished before it could be killed"
    first.kill()  # SIGKILL: no cleanup, no flush beyond what the ledger committed
    await first.wait()
    assert 0 < _settled(ledger) < len(debts)

    for _ in range(6):  # faults keep injecting; reruns settle what they left rejected
        rerun = await _import(source, ledger, provider, simulator)
        if await rerun.wait() == 0:
            break
    assert rerun.returncode == 0, _not_created(Path(f"{ledger}.out"))
    held = _references_at(provider, simulator)
    assert sorted(held) == sorted(d.creditor_reference for d in debts)
