"""``debtkit import --budget redis://``: processes importing with one credential share one
rate budget through a real Redis, judged by the simulator's own log."""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from pathlib import Path

from redis.asyncio import Redis

from debtkit import Validator, load_adapter, to_json
from debtkit.sample import sample_debts
from tests.simulator_process import SimulatorProcess

TIME_SCALE = 3600.0  # GetBill's hour lasts one second
WRITE_LIMIT = 8  # batch requests per (compressed) hour, on both sides
BATCHES = 12  # per process: together three windows' worth, each alone one and a half
BATCH_SIZE = 5
RUN_BOUND = 300.0  # seconds: a bound for a hang, generous for a loaded machine


def debts_file(folder: Path, prefix: str, count: int) -> Path:
    validator = Validator(load_adapter("getbill").policy_rules())
    sample = sample_debts(count + 40, seed=17, broken=0.0, prefix=prefix)
    debts = itertools.islice((d for d in sample if validator.check(d).ok), count)
    path = folder / f"{prefix}.jsonl"
    path.write_text("".join(to_json(d) + "\n" for d in debts))
    return path


async def import_with_budget(
    simulator: SimulatorProcess, source: Path, budget: str
) -> asyncio.subprocess.Process:
    command = [
        "-m", "debtkit", "import", str(source), "--provider", "getbill",
        "--base-url", simulator.base_url, *simulator.credential_flags(),
        "--budget", budget, "--time-scale", str(TIME_SCALE), "--rate", f"write={WRITE_LIMIT}",
        "--batch-size", str(BATCH_SIZE), "--preflight", "off",
    ]  # fmt: skip
    quiet = asyncio.subprocess.DEVNULL
    return await asyncio.create_subprocess_exec(
        sys.executable, *command, stdout=quiet, stderr=asyncio.subprocess.PIPE
    )


async def test_two_imports_sharing_a_redis_budget_are_never_answered_429(
    redis_url: str, tmp_path: Path
) -> None:
    settings = {"time_scale": TIME_SCALE, "write_limit": WRITE_LIMIT}
    async with SimulatorProcess("getbill", **settings) as simulator:
        sources = [debts_file(tmp_path, f"SHARE{n}", BATCHES * BATCH_SIZE) for n in range(2)]
        runs = [await import_with_budget(simulator, s, redis_url) for s in sources]
        ended = await asyncio.wait_for(asyncio.gather(*(r.communicate() for r in runs)), RUN_BOUND)
        report = await simulator.report()
    assert [r.returncode for r in runs] == [0, 0], [err[-500:] for _, err in ended]
    assert len(report["references"]) == 2 * BATCHES * BATCH_SIZE
    assert report["throttled"] == 0


async def test_an_import_with_a_budget_keeps_its_books_in_that_redis(
    redis_url: str, tmp_path: Path
) -> None:
    database = f"{redis_url.rsplit('/', 1)[0]}/{uuid.uuid4().int % 15 + 1}"
    async with SimulatorProcess("getbill", time_scale=TIME_SCALE) as simulator:
        run = await import_with_budget(simulator, debts_file(tmp_path, "BOOKS", 10), database)
        _, err = await asyncio.wait_for(run.communicate(), RUN_BOUND)
    assert run.returncode == 0, err[-500:]
    redis = Redis.from_url(database)
    try:
        keys = [key.decode() async for key in redis.scan_iter("debtkit:{getbill:*")]
    finally:
        await redis.aclose()
    assert keys, "no budget key under the getbill credential's prefix"
