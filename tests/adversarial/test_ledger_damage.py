"""The ledger against operator mistakes and hostile conditions, with real `debtkit import`
processes against the GetBill simulator (GetBill does not refuse duplicates, so any resend
shows): truncated to 0 bytes, deleted (alone or with its sidecar files), random bytes, two
imports at once, a holder killed with SIGKILL. In every case: a refused run sends nothing and
prints no traceback, and once the operator does what the message says, the provider holds
every debt exactly once."""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from debtkit import Validator, load_adapter, to_json
from debtkit.sample import sample_debts
from debtkit.simulator import Faults

DEBTS = 200
SLOW = Faults(latency=0.1, seed=1)  # every request: enough time to hit a run mid-way


@pytest.fixture
async def simulator(getbill_simulator_factory: Any) -> Any:
    return await getbill_simulator_factory(faults=SLOW)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    validator = Validator(load_adapter("getbill").policy_rules())
    sample = sample_debts(DEBTS + 40, seed=11, broken=0.0, prefix="LEDGER")
    debts = list(itertools.islice((d for d in sample if validator.check(d).ok), DEBTS))
    path = tmp_path / "debts.jsonl"
    path.write_text("".join(to_json(d) + "\n" for d in debts))
    return path


def references(source: Path) -> list[str]:
    return sorted(line.split('"creditor_reference":"')[1].split('"')[0]
                  for line in source.read_text().splitlines())  # fmt: skip


def held(simulator: Any) -> collections.Counter[str]:
    return collections.Counter(d["internal_id"] for d in simulator.state.debts.values())


async def start(source: Path, simulator: Any, *extra: str) -> asyncio.subprocess.Process:
    credentials = [f"--credential={k}={v}" for k, v in simulator.credentials.items()]
    command = [
        "-m", "debtkit", "import", str(source), "--provider", "getbill",
        "--base-url", simulator.base_url, "--concurrency", "2", "--batch-size", "10",
        *credentials, *extra,
    ]  # fmt: skip
    pipe = asyncio.subprocess.PIPE
    return await asyncio.create_subprocess_exec(sys.executable, *command, stdout=pipe, stderr=pipe)


async def finish(process: asyncio.subprocess.Process) -> tuple[int, str]:
    out, err = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


async def run(source: Path, simulator: Any, *extra: str) -> tuple[int, str]:
    return await finish(await start(source, simulator, *extra))


def ledger_of(source: Path) -> Path:
    return Path(f"{source}.getbill.ledger.sqlite")


def settled(ledger: Path) -> int:
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
            row = db.execute("SELECT COUNT(*) FROM debts WHERE state = 'created'").fetchone()
            return int(row[0])
    except sqlite3.Error:
        return 0


async def under_way(process: asyncio.subprocess.Process, ledger: Path) -> None:
    """Until the run has settled some debts (at most 60 s), still running."""
    for _ in range(1200):
        if settled(ledger) >= 30:
            break
        await asyncio.sleep(0.05)
    assert process.returncode is None, "the import ended before it could be interrupted"
    assert 0 < settled(ledger) < DEBTS


async def killed_mid_run(source: Path, simulator: Any) -> None:
    process = await start(source, simulator)
    await under_way(process, ledger_of(source))
    process.send_signal(signal.SIGKILL)
    await process.wait()


def assert_each_exactly_once(source: Path, simulator: Any) -> None:
    counts = held(simulator)
    assert [ref for ref, n in counts.items() if n > 1] == []
    assert sorted(counts) == references(source)


def damage(ledger: Path, how: str) -> None:
    if how == "truncated":
        ledger.write_bytes(b"")
    elif how == "deleted":
        ledger.unlink()
    elif how == "deleted_with_sidecars":  # rm ledger.sqlite*: only the results file is left
        for path in ledger.parent.glob(ledger.name + "*"):
            path.unlink()


@pytest.mark.parametrize("how", ["truncated", "deleted", "deleted_with_sidecars"])
async def test_lost_ledger_is_refused_then_reconciled_without_duplicates(
    how: str, source: Path, simulator: Any
) -> None:
    await killed_mid_run(source, simulator)
    before = held(simulator)
    damage(ledger_of(source), how)

    code, output = await run(source, simulator)
    assert code == 2
    assert str(ledger_of(source)) in output
    assert "--ledger-lost" in output
    assert "Traceback" not in output
    assert held(simulator) == before  # refused before sending anything

    code, output = await run(source, simulator, "--ledger-lost")
    assert code == 0, output[-2000:]
    assert_each_exactly_once(source, simulator)


async def test_random_bytes_are_refused_then_moved_aside_and_reconciled(
    source: Path, simulator: Any
) -> None:
    await killed_mid_run(source, simulator)
    before = held(simulator)
    ledger = ledger_of(source)
    ledger.write_bytes(os.urandom(16384))

    for extra in ((), ("--ledger-lost",)):  # damaged is refused, flag or not
        code, output = await run(source, simulator, *extra)
        assert code == 2
        assert "damaged" in output
        assert str(ledger) in output
        assert "Traceback" not in output
    assert held(simulator) == before

    ledger.rename(ledger.with_name("kept-for-inspection.sqlite"))
    code, output = await run(source, simulator, "--ledger-lost")
    assert code == 0, output[-2000:]
    assert_each_exactly_once(source, simulator)


async def test_second_import_on_a_held_ledger_is_refused(source: Path, simulator: Any) -> None:
    first = await start(source, simulator)
    await under_way(first, ledger_of(source))
    first.send_signal(signal.SIGSTOP)  # paused mid-run, holding the ledger, however slow
    try:
        code, output = await run(source, simulator)
    finally:
        first.send_signal(signal.SIGCONT)
    assert code == 2
    assert "another import is using it" in output
    assert "Traceback" not in output
    first_code, first_output = await finish(first)
    assert first_code == 0, first_output[-2000:]
    assert_each_exactly_once(source, simulator)


async def test_two_imports_started_together_create_each_debt_once(
    source: Path, simulator: Any
) -> None:
    both = await asyncio.gather(start(source, simulator), start(source, simulator))
    codes = sorted([(await finish(p))[0] for p in both])
    assert codes in ([0, 0], [0, 2])  # one refused, or the second came after the first
    assert_each_exactly_once(source, simulator)


async def test_holder_killed_with_sigkill_releases_the_ledger(source: Path, simulator: Any) -> None:
    await killed_mid_run(source, simulator)
    code, output = await run(source, simulator)  # no waiting, no manual unlock
    assert code == 0, output[-2000:]
    assert "already_created" in output
    assert_each_exactly_once(source, simulator)


async def test_reconciling_run_killed_then_rerun_without_the_flag_creates_none_twice(
    source: Path, simulator: Any
) -> None:
    await killed_mid_run(source, simulator)
    created_by_the_lost_run = settled(ledger_of(source))
    damage(ledger_of(source), "truncated")
    reconciling = await start(source, simulator, "--ledger-lost")
    for _ in range(3000):  # until it has admitted debts, before it has looked them all up
        if rows(ledger_of(source)) >= 10:
            break
        await asyncio.sleep(0.01)
    reconciling.send_signal(signal.SIGKILL)
    await reconciling.wait()
    # Killed while debts the lost run created were still only queued in the rebuilt ledger:
    assert settled(ledger_of(source)) < created_by_the_lost_run

    code, output = await run(source, simulator)  # no flag: the rebuilt ledger still looks up
    assert code == 0, output[-2000:]
    assert_each_exactly_once(source, simulator)


def rows(ledger: Path) -> int:
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM debts").fetchone()[0])
    except sqlite3.Error:
        return 0
