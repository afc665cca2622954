"""The CLI's GetBill commands against a simulator served from a background thread (the
commands run their own event loop): ``credits``, ``followups CASE`` and import's credit
preflight."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from debtkit_getbill.simulator import RunningSimulator
from debtkit_getbill.simulator.extras import EXTRAS

from debtkit import to_json
from debtkit.cli import main
from tests.adapters.getbill.helpers import person_debt


class ThreadedSimulator:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.sim = RunningSimulator()

    def run(self, coroutine: object) -> object:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)  # type: ignore[arg-type]
        return future.result(timeout=60)

    def flags(self) -> list[str]:
        credentials = self.sim.credentials
        return [
            "--base-url", self.sim.base_url,
            "--credential", f"client_id={credentials['client_id']}",
            "--credential", f"client_secret={credentials['client_secret']}",
        ]  # fmt: skip


@pytest.fixture
def simulator() -> Iterator[ThreadedSimulator]:
    served = ThreadedSimulator()
    served.thread.start()
    served.run(served.sim.start())
    yield served
    served.run(served.sim.stop())
    served.loop.call_soon_threadsafe(served.loop.stop)
    served.thread.join(timeout=60)
    served.loop.close()


def test_credits_prints_the_balance_and_subscription(
    simulator: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    simulator.sim.app[EXTRAS].credits["current_credits"] = 4321
    assert main(["credits", *simulator.flags()]) == 0
    out = capsys.readouterr().out
    assert "getbill credits: 4,321" in out
    assert "subscription: Professional (active)" in out


def test_followups_lists_a_case_without_personal_data(
    simulator: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed() -> str:
        async with simulator.sim.connect() as client:
            case = await client.create(person_debt())
            await client.followups.create(
                case.provider_id, type="call", status="no_answer", summary="Marie Curie hung up"
            )
            await client.followups.create(case.provider_id, type="email")
        return case.provider_id

    case_id = str(simulator.run(seed()))
    assert main(["followups", case_id, *simulator.flags()]) == 0
    out = capsys.readouterr().out
    assert "no_answer" in out
    assert f"2 followup(s) for case {case_id}" in out
    assert "Marie" not in out
    assert main(["followups", case_id, "--details", *simulator.flags()]) == 0
    assert "Marie Curie hung up" in capsys.readouterr().out


def test_followups_of_an_unknown_case_exit_2(
    simulator: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["followups", "nope", *simulator.flags()]) == 2
    assert "404" in capsys.readouterr().err


def debts_file(tmp_path: Path) -> Path:
    path = tmp_path / "debts.jsonl"
    path.write_text("".join(to_json(person_debt(f"R-{i}")) + "\n" for i in range(2)))
    return path


def test_import_warns_when_the_estimate_exceeds_the_balance(
    simulator: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simulator.sim.app[EXTRAS].credits["current_credits"] = 10
    code = main(["import", str(debts_file(tmp_path)), "--provider", "getbill", *simulator.flags()])
    assert code == 0
    assert "preflight: estimated 50 credits exceed the getbill balance of 10" in (
        capsys.readouterr().out
    )
    assert len(simulator.sim.state.debts) == 2


def test_import_with_preflight_refuse_over_the_balance_sends_nothing(
    simulator: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simulator.sim.app[EXTRAS].credits["current_credits"] = 10
    source = debts_file(tmp_path)
    args = ["import", str(source), "--provider", "getbill", "--preflight", "refuse"]
    assert main([*args, *simulator.flags()]) == 2
    captured = capsys.readouterr()
    assert "exceed the getbill balance of 10" in captured.out
    assert "nothing was sent" in captured.err
    assert simulator.sim.state.debts == {}


def test_import_within_the_balance_says_so_and_imports(
    simulator: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["import", str(debts_file(tmp_path)), "--provider", "getbill", "--preflight", "refuse"]
    assert main([*args, *simulator.flags()]) == 0
    assert "preflight: getbill raised no objection" in capsys.readouterr().out
    assert len(simulator.sim.state.debts) == 2
