"""``debtkit sync``: the events since the last sync as JSON lines, each delivered once."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit.cli import main
from debtkit.cli.sync import run_sync
from tests.conftest import make_full_debt


class BreaksOnSecondLine(io.StringIO):
    def write(self, text: str) -> int:
        if self.getvalue():
            raise BrokenPipeError("the reader went away")
        return super().write(text)


def options(sim: RunningSimulator) -> dict[str, Any]:
    return {"credentials": dict(sim.credentials), "base_url": sim.base_url}


async def _cases(sim: RunningSimulator, count: int) -> None:
    async with sim.connect() as client:
        for n in range(count):
            await client.create(make_full_debt(creditor_reference=f"CLI-{n}"), is_test=True)


async def test_sync_prints_new_cases_once_without_their_payload(
    debitura_simulator: RunningSimulator, tmp_path: Path
) -> None:
    await _cases(debitura_simulator, 2)
    state, first, second = tmp_path / "s.sqlite", io.StringIO(), io.StringIO()
    adapter = DebituraAdapter()
    assert await run_sync(adapter, options(debitura_simulator), state, first) == 2
    assert await run_sync(adapter, options(debitura_simulator), state, second) == 0
    lines = [json.loads(line) for line in first.getvalue().splitlines()]
    assert [line["event_type"] for line in lines] == ["created", "created"]
    assert all(not line.get("raw") for line in lines)
    assert "John" not in first.getvalue()


async def test_an_interrupted_sync_prints_the_rest_next_time(
    debitura_simulator: RunningSimulator, tmp_path: Path
) -> None:
    await _cases(debitura_simulator, 3)
    state, broken, rest = tmp_path / "s.sqlite", BreaksOnSecondLine(), io.StringIO()
    adapter = DebituraAdapter()
    with pytest.raises(BrokenPipeError):
        await run_sync(adapter, options(debitura_simulator), state, broken)
    await run_sync(adapter, options(debitura_simulator), state, rest)
    printed = broken.getvalue().splitlines() + rest.getvalue().splitlines()
    assert len(printed) == len({json.loads(line)["case_id"] for line in printed}) == 3


def test_sync_refuses_a_state_file_in_a_missing_directory(tmp_path: Path) -> None:
    code = main(
        [
            "sync",
            "--provider",
            "debitura",
            "--state",
            str(tmp_path / "absent" / "s.sqlite"),
            "--credential",
            "api_key=x",
        ]
    )
    assert code == 2
