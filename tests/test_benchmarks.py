"""The benchmarks' quick variant runs in CI, so they never rot; the figures are not asserted
(they depend on the machine): benchmarks/RESULTS.md holds them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_benchmark_runs_in_its_quick_variant() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        capture_output=True, text=True, timeout=1800, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "All figures" in done.stdout
    names = (
        "budget", "shared_budget", "throughput", "overhead", "validation", "memory", "import_cpu",
        "peer", "lost_responses",
    )  # fmt: skip
    for name in names:
        assert f"| {name}" in done.stdout
