"""The harness fault `malformed_response`: the work is done, then the 2xx answer is spoiled."""

from __future__ import annotations

from aiohttp import web

from debtkit.simulator import MALFORMED_SHAPES, Faults, SimulatorServer, fault_middleware
from debtkit.transport import Request, Transport


async def _serve(faults: Faults, status: int = 201) -> tuple[web.Application, list[str]]:
    done: list[str] = []

    async def commit(request: web.Request) -> web.Response:
        done.append("committed")
        return web.json_response({"error": False, "data": {"id": "d1"}}, status=status)

    app = web.Application(middlewares=[fault_middleware(faults)])
    app.router.add_post("/debts", commit)
    return app, done


async def test_every_shape_is_served_in_turn_after_the_work_is_done() -> None:
    faults = Faults(malformed_response=1.0)
    app, done = await _serve(faults)
    bodies = []
    async with (
        SimulatorServer(app) as server,
        Transport(provider="sim", base_url=server.origin) as t,
    ):
        for _ in MALFORMED_SHAPES:
            response = await t.request(Request("POST", "debts", json={}))
            assert response.status == 201
            bodies.append(response.body)
    assert len(done) == len(MALFORMED_SHAPES)
    assert {k.split(":")[1] for k in faults.served if k.startswith("malformed")} == set(
        MALFORMED_SHAPES
    )
    readable = [b for b in bodies if isinstance(b, dict) and isinstance(b.get("data"), dict)]
    assert readable == []  # none of them carries the debt object any more


async def test_a_refusal_is_left_as_it_is() -> None:
    faults = Faults(malformed_response=1.0)
    app, _ = await _serve(faults, status=400)
    async with (
        SimulatorServer(app) as server,
        Transport(provider="sim", base_url=server.origin) as t,
    ):
        response = await t.send(Request("POST", "debts", json={}))
    assert response.status == 400
    assert response.body == {"error": False, "data": {"id": "d1"}}
    assert not any(k.startswith("malformed") for k in faults.served)
