"""Requests per second through debtkit versus raw aiohttp, same loopback simulator, no limits.

Both sides fetch the same Debitura case by id with the same concurrency and one connection
pool; debtkit adds auth headers, exact-Decimal JSON, error mapping, the budget gate and the
mapping of the InvoiceDto to a `Case`. Best of several interleaved rounds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp

from benchmarks.report import Figure
from benchmarks.simulators import connect, simulator
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


async def _measure(requests: int, rounds: int, concurrency: int = 16) -> tuple[float, float]:
    async with simulator("debitura", limits=UNLIMITED) as (app, server):
        key = app[CREDENTIALS]["api_key"]
        session = aiohttp.ClientSession()
        budgeted = connect("debitura", app, server, session=session, rate_overrides=HIGH)
        async with session, budgeted as client:
            case = await client.create(next(iter(sample_debts(1, seed=1, broken=0.0))))
            url = f"{server.base_url}/cases/{case.provider_id}"

            async def raw() -> object:
                async with session.get(url, headers={"XApiKey": key}) as response:
                    return await response.json()

            async def debtkit() -> object:
                return await client.get(case.provider_id)

            best_raw = best_debtkit = 0.0
            for _ in range(rounds):
                best_raw = max(best_raw, await _rate(raw, requests, concurrency))
                best_debtkit = max(best_debtkit, await _rate(debtkit, requests, concurrency))
    return best_debtkit, best_raw


def run(quick: bool = False) -> list[Figure]:
    debtkit, raw = asyncio.run(_measure(500 if quick else 3_000, 2 if quick else 4))
    slowdown = raw / debtkit
    return [
        Figure(
            "overhead",
            "requests/s, GET case",
            debtkit,
            raw,
            "req/s",
            "<= 1.2x slower",
            slowdown <= 1.2,
            note=f"debtkit is {slowdown:.2f}x slower than raw aiohttp (same session, 16 tasks)",
        )
    ]
