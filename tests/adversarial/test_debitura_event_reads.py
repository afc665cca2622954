"""Hostile answers to Debitura's payment, task and webhook reads raise only debtkit errors.

A loopback server answers every request with one crafted body; each read must either return
well-typed objects or raise a `DebtkitError`, never a KeyError, TypeError or cattrs error.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from debtkit_debitura import DebituraAdapter, DebituraClient

from debtkit import jsonutil
from debtkit.errors import DebtkitError
from debtkit.retry import NO_RETRY
from debtkit.simulator import SimulatorServer

CASE = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
ITEMS = [
    None,
    1,
    "x",
    [],
    {},
    {"id": 5},
    {"id": None},
    {"id": "a", "grossAmount": "NaN"},
    {"id": "a", "grossAmount": True},
    {"id": "a", "grossAmount": "1e999999"},
    {"id": "a", "date": "yesterday"},
    {"id": "a", "invoice": "x"},
    {"id": "a", "events": "case.created"},
    {"id": "a", "action": []},
    {"id": "a", "attemptCount": "many"},
]
ENVELOPES: list[Any] = [
    None,
    "text",
    [],
    {},
    {"page": "x"},
    {"page": {"currentPage": "1", "totalPages": None}},
]
for item in ITEMS:
    ENVELOPES += [[item], {"payments": [item], "tasks": [item], "page": {"currentPage": 1}}]
    ENVELOPES += [item, {"payments": item, "tasks": item}]

Read = Callable[[DebituraClient], Awaitable[object]]


async def _all(iterator: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in iterator]


READS: dict[str, Read] = {
    "payments.list": lambda c: _all(c.payments.list()),
    "payments.get": lambda c: c.payments.get(CASE),
    "payments.for_case": lambda c: c.payments.for_case(CASE),
    "tasks.list": lambda c: _all(c.tasks.list()),
    "tasks.for_case": lambda c: c.tasks.for_case(CASE),
    "webhooks.list": lambda c: c.webhooks.list(),
    "webhooks.get": lambda c: c.webhooks.get(CASE),
    "webhooks.events": lambda c: c.webhooks.events(CASE),
    "webhooks.test": lambda c: c.webhooks.test(CASE),
    "webhooks.replay_event": lambda c: c.webhooks.replay_event(CASE),
}


@pytest.fixture
async def hostile() -> AsyncIterator[tuple[list[Any], str]]:
    answer: list[Any] = [None]

    async def reply(request: web.Request) -> web.Response:
        return web.Response(text=jsonutil.dumps(answer[0]), content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", reply)
    async with SimulatorServer(app) as server:
        yield answer, server.origin


async def test_every_hostile_answer_to_every_read_is_a_debtkit_error_or_a_value(
    hostile: tuple[list[Any], str],
) -> None:
    answer, origin = hostile
    outcomes = {"value": 0, "error": 0}
    async with DebituraAdapter().connect(
        {"api_key": "k"}, base_url=origin, retry=NO_RETRY
    ) as client:
        for envelope, (name, read) in itertools.product(ENVELOPES, READS.items()):
            answer[0] = envelope
            try:
                await read(client)
            except DebtkitError:
                outcomes["error"] += 1
            except Exception as exc:  # pragma: no cover - the failure this test exists for
                pytest.fail(f"{name} on {envelope!r} raised {type(exc).__name__}: {exc}")
            else:
                outcomes["value"] += 1
    assert sum(outcomes.values()) == len(ENVELOPES) * len(READS)
    assert outcomes["error"] > 0
