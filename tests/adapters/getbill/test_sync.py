"""`GetBillClient.changes()` against the simulator: new debts, then status changes only."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from debtkit_getbill.simulator import RunningSimulator

from debtkit.events import EventType
from debtkit.model import CaseStatus
from tests.adapters.getbill.helpers import person_debt


async def test_a_sync_reports_new_debts_then_only_status_changes(tmp_path: Path) -> None:
    state = tmp_path / "getbill.sqlite"
    async with RunningSimulator() as simulator, simulator.connect() as client:
        debts = [await client.create(person_debt(f"G-{n}")) for n in range(3)]
        async with client.changes(state) as feed:
            first = [event async for event in feed]
        async with (
            aiohttp.ClientSession(simulator.origin) as control,
            control.post(
                f"/_simulator/debts/{debts[0].provider_id}/status",
                json={"status": "status.default.paid"},
            ) as response,
        ):
            assert response.status == 200
        async with client.changes(state) as feed:
            second = [event async for event in feed]
    assert {e.event_type for e in first} == {EventType.CREATED}
    assert len(first) == 3
    [closed] = second
    assert (closed.event_type, closed.case_id) == (EventType.CLOSED, debts[0].provider_id)
    assert closed.new_status is CaseStatus.PAID
