"""The import's progress display: created, failed, invalid and in-flight counts, the budget
it waits for and an ETA from the budget, in plain mode and in rich mode alike."""

from __future__ import annotations

import io

import pytest

from debtkit.budget import Budget
from debtkit.bulk import BulkResult, Outcome, Progress
from debtkit.cli.output import ProgressDisplay
from debtkit.plugin import RateLimit
from debtkit.transport import Request

WRITE = RateLimit("write", 2, 600.0, request_classes=frozenset({"write"}))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def spent_budget() -> Budget:
    """A write budget of 2 per 10 minutes with both slots just spent."""
    budget = Budget([WRITE], clock=lambda: 1_000_000.0)
    for _ in range(2):
        await budget.before_attempt(Request("POST", "debts", request_class="write"))
    return budget


async def shown(stream: io.StringIO, per_request: int = 1) -> ProgressDisplay:
    display = ProgressDisplay(
        "acme", 10, stream, budget=await spent_budget(), per_request=per_request
    )
    with display:
        display.count(BulkResult(0, None, Outcome.INVALID))
        await display.refresh_budget()
        display.update(Progress(done=4, created=2, failed=2, queued=3))
    return display


async def test_plain_mode_shows_counts_the_budget_wait_and_an_eta() -> None:
    stream = io.StringIO()
    await shown(stream)
    line = stream.getvalue().splitlines()[-1]
    assert line.startswith("acme: 4/10 done, 2 created, 1 failed, 1 invalid, 3 in flight")
    assert "waiting for the write budget: 10 min" in line
    # 6 debts left at 2 writes per 600 s, after the current 600 s wait
    assert line.endswith("ETA 40 min")


async def test_the_eta_counts_requests_of_a_batch_client() -> None:
    display = await shown(io.StringIO(), per_request=1000)
    assert display.eta() == pytest.approx(600.0 + 300.0, abs=5.0)  # one request, after the wait


async def test_rich_mode_shows_the_same_status() -> None:
    stream = Terminal()
    display = await shown(stream)
    assert display._bar is not None  # a rich bar, not plain lines
    status = display._bar.tasks[0].fields["status"]
    assert status == display.status()
    assert "1 invalid" in status
    assert "waiting for the write budget: 10 min" in status
    assert "1 invalid" in stream.getvalue()  # drawn


def test_without_a_budget_there_is_no_wait_nor_eta() -> None:
    stream = io.StringIO()
    display = ProgressDisplay("acme", 3, stream)
    display.update(Progress(done=3, created=3, failed=0, queued=0))
    assert stream.getvalue() == "acme: 3/3 done, 3 created, 0 failed, 0 invalid, 0 in flight\n"
