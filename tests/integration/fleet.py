"""The fleet harness: one import in a PostgreSQL ledger drained by ``debtkit worker``
processes into a simulator running in a process of its own with faults, every worker on one
rate budget in Redis (``--budget``); some workers are killed with SIGKILL mid-run; the end is
judged against the simulator's own records and ``debtkit status``.

Only what cannot depend on the machine's speed is judged: every debt held exactly once,
no 429, the ledger's counts equal to what the simulator holds, no worker failing. With a
fifth of all requests failing, a debt's requests (a lookup's pages included) sometimes fail
every retry: the debt ends ambiguous, and the operator's answer, resuming the import with
``debtkit import FILE --import ID``, is part of the run. Waits are bounded for a hang,
generously for a loaded machine.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from debtkit import Validator, load_adapter, to_json
from debtkit.bulk import Account, account_key, open_ledger, start_import
from debtkit.sample import sample_debts
from tests.simulator_process import ROOT, SimulatorProcess

# What issue 16 asks the fleet to survive: per request, drawn from one seeded generator.
FAULTS = {"server_error": 0.10, "lost_response": 0.05, "reset": 0.05, "seed": 16}
FINAL = ("created", "already_created", "changed", "rejected", "ambiguous", "invalid")
RUN_BOUND = 1500.0  # seconds for the whole drain: a bound for a hang, not a speed goal
POLL = 0.25
RESUMES = 3


@attrs.frozen
class FleetPlan:
    """One fleet run. `simulator` are `tests.simulator_process` settings; `rates` the
    workers' ``--rate`` flags for the same limits, so both sides count alike."""

    provider: str
    debts: int
    simulator: Mapping[str, Any]
    rates: Sequence[str]
    time_scale: float
    workers: int = 4
    killed: int = 2
    kill_at: float = 0.25  # share of the debts settled when the workers are killed
    batch_size: int = 1000
    concurrency: int = 4
    lease: float = 3.0


@attrs.frozen
class FleetEnd:
    """What a fleet run left: the workers' exit codes, the simulator's records, the ledger's
    counts as ``debtkit status`` printed them, and the references sent."""

    survivors: list[int | None]
    killed: list[int | None]
    resumed: list[int | None]  # exit codes of the resumes, in order (none: not needed)
    settled_at_kill: int
    seconds: Mapping[str, float]  # when each phase ended, from the start: for diagnosis only
    simulator: Mapping[str, Any]
    status: Mapping[str, int]
    expected: Sequence[str]

    @property
    def held(self) -> Mapping[str, int]:
        references: Mapping[str, int] = self.simulator["references"]
        return references

    def missing(self) -> list[str]:
        return sorted(set(self.expected) - set(self.held))[:5]

    def duplicated(self) -> list[str]:
        return sorted(ref for ref, count in self.held.items() if count != 1)[:5]

    def unexpected(self) -> list[str]:
        return sorted(set(self.held) - set(self.expected))[:5]


def valid_debts(provider: str, count: int, prefix: str) -> list[Any]:
    validator = Validator(load_adapter(provider).policy_rules())
    sample = sample_debts(count + count // 10 + 50, seed=16, broken=0.0, prefix=prefix)
    return list(itertools.islice((d for d in sample if validator.check(d).ok), count))


def input_file(provider: str, count: int, source: Path) -> list[Any]:
    """`count` valid debts, written to `source` as JSON lines."""
    debts = valid_debts(provider, count, "FLEET")
    source.write_text("".join(to_json(debt) + "\n" for debt in debts), encoding="utf-8")
    return debts


async def start(
    plan: FleetPlan, simulator: SimulatorProcess, ledger_url: str, source: Path
) -> tuple[str, list[str]]:
    """Write the input file and store it as an import (as ``debtkit import`` does, without
    draining it); the import's id and the references it holds."""
    debts = await asyncio.to_thread(input_file, plan.provider, plan.debts, source)
    adapter = load_adapter(plan.provider)
    async with (
        adapter.connect(simulator.credentials, base_url=simulator.base_url) as client,
        open_ledger(ledger_url) as ledger,
    ):
        base_url = str(getattr(getattr(client, "transport", None), "base_url", ""))
        key = account_key(plan.provider, base_url, simulator.credentials)
        info = await start_import(client, ledger, debts, account=Account(plan.provider, key))
    return info.import_id, [d.creditor_reference for d in debts]


def worker_command(
    plan: FleetPlan, simulator: SimulatorProcess, ledger_url: str, import_id: str, budget: str
) -> list[str]:
    rates = [f"--rate={rate}" for rate in plan.rates]
    return [
        sys.executable, "-m", "debtkit", "worker", "--provider", plan.provider,
        "--base-url", simulator.base_url, *simulator.credential_flags(),
        "--ledger", ledger_url, "--import", import_id, "--budget", budget,
        "--lease", str(plan.lease), "--time-scale", str(plan.time_scale), *rates,
        "--concurrency", str(plan.concurrency), "--batch-size", str(plan.batch_size),
    ]  # fmt: skip


def resume_command(worker: list[str], source: Path) -> list[str]:
    """``debtkit import FILE`` with a worker's flags: it resumes the import (what ended
    rejected or ambiguous is pending again) and drains it."""
    at = worker.index("worker")
    return [*worker[:at], "import", str(source), *worker[at + 1 :], "--preflight", "off"]


async def unfinished(ledger_url: str, import_id: str) -> dict[str, int]:
    """The import's debts in a state other than created (or found already created)."""
    async with open_ledger(ledger_url) as ledger:
        counts = await ledger.counts(import_id)
    return {s: n for s, n in counts.items() if n and s not in ("created", "already_created")}


async def settled(ledger_url: str, import_id: str) -> int:
    async with open_ledger(ledger_url) as ledger:
        counts = await ledger.counts(import_id)
    return sum(counts.get(state, 0) for state in FINAL)


async def status(ledger_url: str, import_id: str) -> dict[str, int]:
    """``debtkit status``, read back: its non-zero count per state."""
    done = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "debtkit", "status", "--ledger", ledger_url, "--import", import_id,
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    out, _ = await done.communicate()
    assert done.returncode == 0, out.decode()[-500:]
    counts: dict[str, int] = {}
    for line in out.decode().splitlines()[1:]:  # "import ID (provider): N debts", then states
        state, _, count = line.strip().partition(": ")
        if int(count):
            counts[state] = int(count)
    return counts


async def _wait_until_settled(
    ledger_url: str, import_id: str, target: int, workers: Sequence[asyncio.subprocess.Process]
) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RUN_BOUND
    while loop.time() < deadline:
        done = await settled(ledger_url, import_id)
        if done >= target or any(w.returncode is not None for w in workers):
            return done
        await asyncio.sleep(POLL)
    raise AssertionError(f"fewer than {target} debts settled within {RUN_BOUND}s")


async def _spawn(command: list[str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            *command, stdout=out, stderr=asyncio.subprocess.STDOUT, cwd=ROOT
        )


async def run_fleet(plan: FleetPlan, folder: Path, redis_url: str, ledger_url: str) -> FleetEnd:
    """Start the import, spawn the workers, kill `plan.killed` of them once `plan.kill_at`
    of the debts are settled, wait for the others; then, while some debts ended ambiguous or
    rejected (a fault outlasted every retry of a request), resume the import as its operator
    would, at most `RESUMES` times. Gather what is left."""
    settings = {**plan.simulator, "faults": FAULTS}
    loop = asyncio.get_running_loop()
    began, seconds = loop.time(), {}
    source = folder / "debts.jsonl"
    async with SimulatorProcess(plan.provider, **settings) as simulator:
        seconds["simulator"] = loop.time() - began
        import_id, expected = await start(plan, simulator, ledger_url, source)
        seconds["import stored"] = loop.time() - began
        command = worker_command(plan, simulator, ledger_url, import_id, redis_url)
        workers = [
            await _spawn(command, folder / f"worker-{number}.log") for number in range(plan.workers)
        ]
        resumed: list[int | None] = []
        try:
            target = max(int(plan.debts * plan.kill_at), 1)
            at_kill = await _wait_until_settled(ledger_url, import_id, target, workers)
            seconds["kill"] = loop.time() - began
            doomed, survivors = workers[: plan.killed], workers[plan.killed :]
            for worker in doomed:
                if worker.returncode is None:
                    worker.send_signal(signal.SIGKILL)
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in workers)), RUN_BOUND)
            seconds["drained"] = loop.time() - began
            while len(resumed) < RESUMES and await unfinished(ledger_url, import_id):
                log = folder / f"resume-{len(resumed)}.log"
                rerun = await _spawn(resume_command(command, source), log)
                resumed.append(await asyncio.wait_for(rerun.wait(), RUN_BOUND))
                workers.append(rerun)
            seconds["resumed"] = loop.time() - began
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.kill()
                    await worker.wait()
        report = await simulator.report()
    return FleetEnd(
        survivors=[w.returncode for w in survivors],
        killed=[w.returncode for w in doomed],
        resumed=resumed,
        settled_at_kill=at_kill,
        seconds=seconds,
        simulator=report,
        status=await status(ledger_url, import_id),
        expected=expected,
    )
