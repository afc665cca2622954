"""Peak RSS validating and ledgering streamed debts, in a fresh process per size.

debtkit streams: generate, validate and journal one debt at a time (as `bulk_import` does).
The baseline reads the whole input into a list first, as a naive script would.
"""

from __future__ import annotations

import itertools
import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs

from benchmarks.report import Figure
from debtkit.ledger import Ledger, LedgerState, content_hash
from debtkit.model import Debt
from debtkit.sample import sample_debts
from debtkit.validation import Validator


def _stream(count: int) -> Iterator[Debt]:
    pool = list(sample_debts(1_000, seed=13, broken=0.0))
    for index, debt in zip(range(count), itertools.cycle(pool), strict=False):
        yield attrs.evolve(debt, creditor_reference=f"MEM-{index:08d}")


def _work(debts: object, ledger_path: Path) -> None:
    validator = Validator()
    batch: list[tuple[str, str, LedgerState, str | None, str | None]] = []
    with Ledger(ledger_path) as ledger:
        for debt in debts:  # type: ignore[attr-defined]
            checked = validator.check(debt)
            state = LedgerState.QUEUED if checked.ok else LedgerState.INVALID
            batch.append((debt.creditor_reference, content_hash(checked.debt), state, None, None))
            if len(batch) == 1000:
                ledger.record("bench", batch)
                batch = []
        ledger.record("bench", batch)


def worker(count: int, materialise: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        debts = list(_stream(count)) if materialise else _stream(count)
        _work(debts, Path(folder) / "ledger.sqlite")
    print(json.dumps({"count": count, "peak_mb": _peak_kib() / 1024}))


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


def _measure(count: int, materialise: bool) -> float:
    mode = "list" if materialise else "stream"
    command = [sys.executable, "-m", "benchmarks.memory", str(count), mode]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout.splitlines()[-1])["peak_mb"])


def run(quick: bool = False) -> list[Figure]:
    sizes = (20_000, 100_000) if quick else (100_000, 1_000_000)
    small, large = (_measure(size, materialise=False) for size in sizes)
    baseline = _measure(sizes[0], materialise=True)
    flat = large <= small * 1.25
    return [
        Figure(
            "memory",
            f"peak RSS, {sizes[0]:,} debts",
            small,
            baseline,
            "MB",
            "< 200 MB",
            small < 200,
            note="baseline = the same work on a list read up front",
        ),
        Figure(
            "memory",
            f"peak RSS, {sizes[1]:,} debts",
            large,
            small,
            "MB",
            "< 200 MB and flat",
            large < 200 and flat,
            note=f"baseline column = the {sizes[0]:,}-debt run; flat means within 25% of it",
        ),
    ]


if __name__ == "__main__":
    worker(int(sys.argv[1]), sys.argv[2] == "list")
