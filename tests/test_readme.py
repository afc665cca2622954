"""The README's two set-up commands are the contract with a newcomer and with CI."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_has_the_main_job_and_test_commands_first() -> None:
    main_job, tests = _commands()[:2]
    assert "debtkit " in main_job
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    tests = _commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci_lines


def _example_regions() -> dict[str, str]:
    regions = {}
    pattern = re.compile(
        r"^[ \t]*# --8<-- \[start:(\w+)\]\n(.*?)^[ \t]*# --8<-- \[end:\1\]", re.S | re.M
    )
    for script in (ROOT / "examples").glob("*.py"):
        for match in pattern.finditer(script.read_text()):
            regions[f"{script.stem}:{match[1]}"] = textwrap.dedent(match[2]).strip("\n")
    return regions


def test_every_python_snippet_of_the_readme_is_taken_from_an_example() -> None:
    snippets = re.findall(r"```python\n(.+?)\n```", (ROOT / "README.md").read_text(), re.S)
    regions = set(_example_regions().values())
    assert snippets
    assert [s for s in snippets if s not in regions] == []
