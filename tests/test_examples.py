"""Every script in examples/ runs as a user runs it, and type-checks without `Any`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_to_completion(script: Path, request: pytest.FixtureRequest) -> None:
    env = dict(os.environ)
    if "redis" in script.stem or "arq" in script.stem:
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    if "arq" in script.stem:  # drains a shared import: a PostgreSQL ledger
        env["LEDGER_URL"] = request.getfixturevalue("postgres_database")
    command = [sys.executable, str(script)]
    if script.stem.startswith("test_"):  # a user's test file: run it the way they would
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_examples_see_concrete_types_under_mypy_strict(tmp_path: Path) -> None:
    """The documented path (`load_adapter(name, Kind)`, `async with ... as client`) gives mypy
    concrete types: any expression typed `Any` in an example fails this test."""
    modules = "\n".join(f"[mypy-{script.stem}]\ndisallow_any_expr = True" for script in EXAMPLES)
    config = tmp_path / "mypy.ini"
    config.write_text(
        f"[mypy]\nstrict = True\nmypy_path = {ROOT}:{ROOT / 'adapters'}\n"
        f"cache_dir = {tmp_path / 'cache'}\n{modules}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), *map(str, EXAMPLES)],
        capture_output=True, text=True, timeout=600, cwd=ROOT / "examples",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
