"""Requests per second through debtkit versus raw aiohttp, same loopback simulator, no limits.

Both sides fetch the same Debitura case by id with the same concurrency and one connection
pool; debtkit adds auth headers, exact-Decimal JSON, error mapping, the budget gate and the
mapping of the InvoiceDto to a `Case`. Best of several interleaved rounds. debtkit is measured
twice: with its budget on (sized never to bind, since it is part of every request's cost) and
with `gate=NO_BUDGET`, which separates the budget's cost from the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp

from benchmarks.report import Figure
from benchmarks.simulators import connect, simulator
from debtkit.budget import NO_BUDGET
from debtkit.plugin import RateLimit
from debtkit.sample import sample_debts
from debtkit.simulator import CREDENTIALS

UNLIMITED = (RateLimit("minute", 10**9, 60.0),)
# debtkit keeps its budget on (it is part of the cost), sized so it never binds.
HIGH = {"minute": 10**9, "hour": 10**9, "day": 10**9}


async def _rate(fetch: Callable[[], Awaitable[object]], requests: int, concurrency: int) -> float:
    async def worker(count: int) -> None:
        for _ in range(count):
            await fetch()

    started = time.perf_counter()
    await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
    return requests / (time.perf_counter() - started)


async def _measure(requests: int, rounds: int, concurrency: int = 16) -> dict[str, float]:
    """Best requests/s of each side: raw aiohttp, debtkit, and debtkit without its budget."""
    async with simulator("debitura", limits=UNLIMITED) as (app, server):
        key = app[CREDENTIALS]["api_key"]
        session = aiohttp.ClientSession()
        budgeted = connect("debitura", app, server, session=session, rate_overrides=HIGH)
        unbudgeted = connect("debitura", app, server, session=session, gate=NO_BUDGET)
        async with session, budgeted as client, unbudgeted as bare_client:
            case = await client.create(next(iter(sample_debts(1, seed=1, broken=0.0))))
            url = f"{server.base_url}/cases/{case.provider_id}"

            async def raw() -> object:
                async with session.get(url, headers={"XApiKey": key}) as response:
                    return await response.json()

            async def debtkit() -> object:
                return await client.get(case.provider_id)

            async def debtkit_without_budget() -> object:
                return await bare_client.get(case.provider_id)

            best = dict.fromkeys(("raw", "debtkit", "no_budget"), 0.0)
            sides = (("raw", raw), ("debtkit", debtkit), ("no_budget", debtkit_without_budget))
            for _ in range(rounds):
                for name, fetch in sides:
                    best[name] = max(best[name], await _rate(fetch, requests, concurrency))
    return best


def run(quick: bool = False) -> list[Figure]:
    best = asyncio.run(_measure(500 if quick else 3_000, 2 if quick else 6))
    raw = best["raw"]
    figures = []
    for side, measure, what in (
        ("debtkit", "requests/s, GET case", "with its exact budget (3 limits) on"),
        ("no_budget", "requests/s, GET case, budget off", "with gate=NO_BUDGET"),
    ):
        slowdown = raw / best[side]
        figures.append(
            Figure(
                "overhead",
                measure,
                best[side],
                raw,
                "req/s",
                "<= 1.2x slower",
                slowdown <= 1.2,
                note=f"debtkit {what} is {slowdown:.2f}x slower than raw aiohttp "
                "(same session, 16 tasks)",
            )
        )
    return figures
