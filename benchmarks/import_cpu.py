"""Client CPU per debt and peak RSS of a real `debtkit import` (issue 15, goals 1 and 6).

A CSV of N rows is written first (streamed, `benchmarks.memory.write_csv`), then the real CLI
(`debtkit import FILE --provider getbill`, credit preflight on, as a user runs it) imports it
into the GetBill simulator running in its own process (`benchmarks.server`), so the figures
carry none of the server's CPU. The CLI runs in a fresh process
(``python -m benchmarks.import_cpu cli ...``), which reports on exit its own user+sys CPU
(`os.times`: every thread, interpreter start and imports included) and its peak RSS (`VmHWM`;
see `benchmarks.memory` for why not ``ru_maxrss``). ``cli --profile FILE ...`` also writes a
cProfile of the import to FILE (``python -m pstats FILE``).

``python -m benchmarks.import_cpu [ROWS ...] [-- FLAGS]`` measures the given sizes (with more
`debtkit import` flags) and prints one line each, for runs outside the benchmark table
(1,000,000 rows takes a while). On a machine too busy for the single-threaded simulator to
answer eight batches of 1,000 within the 30 s read timeout, ``-- --concurrency 2`` keeps the
import from turning ambiguous batches into lookups, which measure the simulator instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs

from benchmarks.memory import TIME_SCALE, write_csv
from benchmarks.report import Figure
from benchmarks.server import out_of_process

GOAL_MS = 0.3  # issue 15, goal 1: client CPU per debt
BEFORE_MS = 1.18  # issue 15's measurement of the same path, before this work


@attrs.frozen
class Measured:
    rows: int
    cpu_s: float  # the CLI process's user+sys CPU
    peak_mb: float
    exit: int

    @property
    def ms_per_debt(self) -> float:
        return self.cpu_s / self.rows * 1000


def _peak_kib() -> int:
    status = Path("/proc/self/status")
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def _import(
    count: int, folder: Path, profile: Path | None, extra: tuple[str, ...]
) -> Measured:
    source = folder / f"debts-{count}.csv"
    await asyncio.to_thread(write_csv, source, count)
    async with out_of_process("getbill", time_scale=TIME_SCALE, unlimited=True) as served:
        credentials = [f"--credential={k}={v}" for k, v in served.credentials.items()]
        wrapper = ["cli", *(["--profile", str(profile)] if profile else [])]
        command = [
            sys.executable, "-m", "benchmarks.import_cpu", *wrapper, "import", str(source),
            "--provider", "getbill", "--base-url", served.base_url,
            "--time-scale", str(TIME_SCALE), *credentials, *extra,
        ]  # fmt: skip
        done = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, check=False
        )
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    # Exit 4: a few sample debtors call destinations GetBill refuses (refused locally).
    if not last.startswith("{") or json.loads(last)["exit"] not in (0, 4):
        raise RuntimeError(f"the import failed: {done.stdout[-800:]} {done.stderr[-800:]}")
    report = json.loads(last)
    return Measured(count, report["cpu_s"], report["peak_mb"], report["exit"])


def measure(count: int, profile: Path | None = None, extra: tuple[str, ...] = ()) -> Measured:
    """`extra`: more `debtkit import` flags (``--preflight off`` isolates the pre-pass)."""
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_import(count, Path(folder), profile, extra))


def run(quick: bool = False) -> list[Figure]:
    size = 2_000 if quick else 200_000
    found = measure(size)
    return [
        Figure("import_cpu", f"client CPU per debt, debtkit import of {size:,} rows",
               found.ms_per_debt, BEFORE_MS, "ms", f"<= {GOAL_MS} ms",
               found.ms_per_debt <= GOAL_MS,
               note="baseline column = issue 15's 1.18 ms before this work; CLI process "
                    "user+sys CPU / rows, GetBill simulator out of process"),
        Figure("import_cpu", f"peak RSS, debtkit import of {size:,} rows", found.peak_mb,
               200.0, "MB", "< 200 MB", found.peak_mb < 200),
    ]  # fmt: skip


def _cli(argv: list[str]) -> None:
    from debtkit.cli import main

    profile: Any = None
    if argv[:1] == ["--profile"]:
        import cProfile

        profile, target, argv = cProfile.Profile(), argv[1], argv[2:]
        profile.enable()
    code = main(argv)
    if profile is not None:
        profile.disable()
        profile.dump_stats(target)
    times = os.times()
    report = {"exit": code, "cpu_s": times.user + times.system, "peak_mb": _peak_kib() / 1024}
    print(json.dumps(report), file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1:2] == ["cli"]:
        _cli(sys.argv[2:])
    else:
        sizes, _, flags = " ".join(sys.argv[1:]).partition("--")
        for rows in sizes.split() or ["200000"]:
            m = measure(int(rows), extra=tuple(flags.split()))
            print(
                f"{m.rows:,} rows: {m.ms_per_debt:.3f} ms CPU per debt "
                f"({m.cpu_s:.1f} s), peak RSS {m.peak_mb:.1f} MB",
                flush=True,
            )
