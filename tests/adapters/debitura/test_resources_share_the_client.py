"""The resource families send through the client's own transport: its budget gate sees every
attempt, and concurrent uploads to one case under faults still attach each file once."""

from __future__ import annotations

import asyncio
from typing import Any

from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit.retry import RetryPolicy
from debtkit.simulator import Faults
from debtkit.transport import Request, Response
from tests.adapters.debitura.helpers import connect, new_case, records


class CountingGate:
    def __init__(self) -> None:
        self.attempts: list[str] = []

    async def before_attempt(self, request: Request) -> None:
        self.attempts.append(f"{request.method} {request.path.split('/', 1)[0]}")

    def after_response(self, request: Request, response: Response) -> None:
        pass

    def after_failure(self, request: Request, error: BaseException) -> None:
        pass


async def test_every_resource_call_passes_the_clients_budget_gate(sim: RunningSimulator) -> None:
    gate = CountingGate()
    async with connect(sim, gate=gate) as client:
        case = await new_case(client)
        await client.case_detail.timeline(case.provider_id)
        _ = [u async for u in client.account.users()]
        _ = [d async for d in client.divisions.list()]
        await client.files.upload(case.provider_id, b"%PDF", file_name="a.pdf")
    assert len(gate.attempts) == len(sim.state.requests) == 6  # upload: snapshot, then POST
    assert gate.attempts[1:] == [
        "GET cases",
        "GET users",
        "GET divisions",
        "GET cases",
        "POST cases",
    ]


async def test_concurrent_uploads_to_one_case_under_faults_attach_each_file_once(
    sim_factory: Any,
) -> None:
    faults = Faults(seed=7)
    sim = await sim_factory(faults=faults, fault_methods=("POST",))
    async with connect(sim, retry=RetryPolicy(attempts=8, base=0.0, cap=0.0)) as client:
        case = await new_case(client)
        faults.lost_response, faults.server_error = 0.4, 0.1
        uploaded = await asyncio.gather(
            *(
                client.files.upload(case.provider_id, b"%PDF", file_name="same-name.pdf")
                for _ in range(20)
            )
        )
    stored = records(sim).files[case.provider_id]
    assert len(stored) == 20  # twenty uploads of one name: twenty files, none doubled
    assert sorted(f.id for f in uploaded) == sorted(f.record["id"] for f in stored)
