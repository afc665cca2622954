"""Issue 16's "done when": four ``debtkit worker`` processes drain one import into each
simulator, with faults (10% 5xx, 5% lost responses, 5% connection resets), on one Redis
budget and one PostgreSQL ledger; two are killed with SIGKILL mid-run; the import completes
with every debt held by the simulator exactly once, no 429, and ``debtkit status`` agreeing
with the simulator. See `tests.integration.fleet` for the harness.

The simulators' windows are compressed and their limits set so that the budget binds: GetBill
takes 1,000-debt batches at four per (compressed) second; Debitura's per-minute limit becomes
a per-second one. The smaller variants run the same fleet on fewer debts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.fleet import FleetEnd, FleetPlan, run_fleet

HIGH = 10**8  # a limit the run never reaches


def getbill_plan(debts: int, batch_size: int) -> FleetPlan:
    return FleetPlan(
        provider="getbill",
        debts=debts,
        simulator={"time_scale": 3600.0, "write_limit": 4},  # four batches a second
        rates=("write=4",),
        time_scale=3600.0,
        batch_size=batch_size,
        concurrency=2,
        lease=10.0,  # a 1,000-debt batch with its lookups, on a loaded machine
    )


def debitura_plan(debts: int, per_second: int) -> FleetPlan:
    limits = [["minute", per_second, 60, "sliding"], ["hour", HIGH, 3600, "fixed"]]
    limits.append(["day", HIGH, 86400, "fixed"])
    return FleetPlan(
        provider="debitura",
        debts=debts,
        simulator={"time_scale": 60.0, "limits": limits},  # the minute lasts one second
        rates=(f"minute={per_second}", f"hour={HIGH}", f"day={HIGH}"),
        time_scale=60.0,
        concurrency=8,
        lease=5.0,
    )


PLANS = {
    "getbill-20000": getbill_plan(20_000, 1000),
    "debitura-20000": debitura_plan(20_000, 200),
}
SMALL_PLANS = {
    "getbill-600": getbill_plan(600, 50),
    "debitura-600": debitura_plan(600, 50),
}


def assert_drained_exactly_once(end: FleetEnd, plan: FleetPlan) -> None:
    assert 0 < end.settled_at_kill < plan.debts, "the workers were not killed mid-run"
    # 0, or 1 when some debts ended ambiguous (their resume follows); never a failure.
    assert set(end.survivors) <= {0, 1}, end.survivors
    assert (end.resumed or end.survivors)[-1] == 0, (end.survivors, end.resumed)
    assert end.missing() == []
    assert end.duplicated() == []
    assert end.unexpected() == []
    assert end.simulator["throttled"] == 0
    # A debt a dead worker (or a lost response) had created is found by the lookup before
    # any resend: already_created. Nothing else may remain: no pending, rejected, ambiguous.
    assert set(end.status) <= {"created", "already_created"}, end.status
    assert sum(end.status.values()) == len(end.held) == plan.debts


@pytest.mark.parametrize("name", sorted(PLANS))
async def test_four_workers_two_killed_drain_20000_debts_exactly_once_without_a_429(
    name: str, tmp_path: Path, redis_url: str, postgres_database: str
) -> None:
    plan = PLANS[name]
    end = await run_fleet(plan, tmp_path, redis_url, postgres_database)
    assert_drained_exactly_once(end, plan)


@pytest.mark.parametrize("name", sorted(SMALL_PLANS))
async def test_a_small_fleet_with_two_workers_killed_drains_exactly_once_without_a_429(
    name: str, tmp_path: Path, redis_url: str, postgres_database: str
) -> None:
    plan = SMALL_PLANS[name]
    end = await run_fleet(plan, tmp_path, redis_url, postgres_database)
    assert_drained_exactly_once(end, plan)
