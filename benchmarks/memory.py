"""Peak RSS of a real `debtkit import`: the CLI, a CSV file, the pipeline, HTTP, the ledger
and the results file, into the GetBill simulator running in its own process.

A CSV of N rows is written first (streamed), then `debtkit import` runs in a fresh process
(`python -m benchmarks.memory cli ...`, which calls the CLI's `main` and then reads its own
peak RSS, `VmHWM`). The simulator's hour is compressed so its budget never binds. "Flat" means
the larger import peaks within 25% of the smaller one.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from benchmarks.report import Figure
from benchmarks.server import out_of_process
from debtkit.conversion import unstructure
from debtkit.files import CSV_COLUMNS
from debtkit.model import Debt
from debtkit.sample import sample_debts

TIME_SCALE = 36_000.0


def _stream(count: int) -> Iterator[Debt]:
    pool = list(sample_debts(1_000, seed=13, broken=0.0))
    for index, debt in zip(range(count), itertools.cycle(pool), strict=False):
        yield attrs.evolve(debt, creditor_reference=f"MEM-{index:08d}")


def _cells(debt: Debt) -> list[Any]:
    data = unstructure(debt)
    row = []
    for column in CSV_COLUMNS:
        value: Any = data
        for part in column.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, (dict, list)):
            value = json.dumps(value) if value else None
        row.append(value)
    return row


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_cells(debt) for debt in _stream(count))


def _peak_kib() -> int:
    """This process image's peak RSS. Linux carries the parent's peak into ru_maxrss when the
    child was started with vfork (as subprocess does), so VmHWM, which starts afresh at exec,
    is read where there is one."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def _import(count: int, folder: Path) -> float:
    source = folder / f"debts-{count}.csv"
    await asyncio.to_thread(write_csv, source, count)
    async with out_of_process("getbill", time_scale=TIME_SCALE) as served:
        credentials = [f"--credential={k}={v}" for k, v in served.credentials.items()]
        command = [
            sys.executable, "-m", "benchmarks.memory", "cli", "import", str(source),
            "--provider", "getbill", "--base-url", served.base_url,
            "--time-scale", str(TIME_SCALE), *credentials,
        ]  # fmt: skip
        done = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, check=False
        )
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    if not last.startswith("{"):
        raise RuntimeError(f"the import failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    return float(json.loads(last)["peak_mb"])


def _measure(count: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_import(count, Path(folder)))


def run(quick: bool = False) -> list[Figure]:
    sizes = (2_000, 10_000) if quick else (100_000, 1_000_000)
    small, large = (_measure(size) for size in sizes)
    flat = large <= small * 1.25
    return [
        Figure("memory", f"peak RSS, debtkit import of {sizes[0]:,} rows", small, 200.0, "MB",
               "< 200 MB", small < 200, note="baseline column = the 200 MB goal"),
        Figure("memory", f"peak RSS, debtkit import of {sizes[1]:,} rows", large, small, "MB",
               "< 200 MB and flat", large < 200 and flat,
               note=f"baseline column = the {sizes[0]:,}-row import; flat = within 25% of it"),
    ]  # fmt: skip


if __name__ == "__main__" and sys.argv[1:2] == ["cli"]:
    from debtkit.cli import main

    code = main(sys.argv[2:])
    print(json.dumps({"exit": code, "peak_mb": _peak_kib() / 1024}), file=sys.stderr)
