"""Budget use: share of the tightest limit used, and 429s, over several compressed windows.

Against each simulator (200 ms latency, the hour compressed), with more work queued than the
limit allows: debtkit's clients, and a naive aiohttp loop paced by
`aiolimiter.AsyncLimiter(limit, window)`, as published peers do. Both count from the
simulator's own request log: "used" is the requests it admitted in the first three whole
windows divided by three times the limit.

GetBill's tightest limit is 500 writes per hour (single creates here); Debitura's is 2,000
requests per minute (creates).

"Sustained" is the share a long run keeps using: a sliding window lets request i + limit in
once request i has left, so the window over the mean time from request i to request
i + limit is that share. The first windows cannot show it (every slot's first use is at the
very start). These shares depend on the machine's speed, so they are measured here and not
asserted by the test suite (which asserts no 429 and no window over the limit).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

from benchmarks.report import Figure
from benchmarks.simulators import connect, simulator
from debtkit import jsonutil, load_adapter
from debtkit.sample import sample_debts
from debtkit.simulator import CREDENTIALS, Faults

LATENCY = 0.2
WINDOWS = 3


def _log(provider: str, app: Any) -> list[tuple[float, int]]:
    """(arrival time, status) of every create the simulator saw."""
    if provider == "getbill":
        from debtkit_getbill.simulator import STATE

        return [(r.at, r.status) for r in app[STATE].requests(bucket="write")]
    from debtkit_debitura.simulator import STATE as DEBITURA_STATE

    return [(r.at, r.status) for r in app[DEBITURA_STATE].requests if r.method == "POST"]


def _score(
    log: list[tuple[float, int]], started: float, window: float, limit: int, cycle: float
) -> tuple[float, int, int, float]:
    """(share used in the first whole windows, 429s, worst rolling-window count, sustained
    share of what the server allows: `cycle` is the shortest time in which it lets a slot be
    used again, the window, or the window plus a segment when it counts in segments)."""
    admitted = sorted(t for t, status in log if status != 429)
    inside = [t for t in admitted if started <= t < started + WINDOWS * window]
    worst = max((sum(1 for u in admitted if t <= u < t + window) for t in admitted), default=0)
    reuse = [admitted[i + limit] - admitted[i] for i in range(len(admitted) - limit)]
    # NaN when the run admitted no more than the limit: no slot was reused, nothing to see.
    sustained = cycle / (sum(reuse) / len(reuse)) if reuse else math.nan
    used = len(inside) / (WINDOWS * limit)
    return used, sum(1 for _, s in log if s == 429), worst, sustained


def _tasks(limit: int, window: float) -> int:
    """Enough concurrent callers to offer twice the limit's rate at this latency."""
    return int(limit / window * (LATENCY + 0.05) * 2) + 8


async def _drive(work: Callable[[int], Awaitable[object]], seconds: float, tasks: int) -> None:
    counter = itertools.count()
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < deadline:
            await work(next(counter))

    await asyncio.gather(*(worker() for _ in range(tasks)))


async def _run(provider: str, window: float, naive: bool) -> tuple[float, int, int, int, float]:
    adapter = load_adapter(provider)
    limit_rule = adapter.rate_limits()[0]  # GetBill writes, Debitura's minute: the tightest
    time_scale = limit_rule.window / window
    options: dict[str, Any] = {"time_scale": time_scale, "faults": Faults(latency=LATENCY)}
    debts = [
        d
        for d in sample_debts(4 * limit_rule.limit + 200, seed=29, broken=0.0)
        if d.debtor.address and d.debtor.address.country == "FR"
    ]
    seconds = (WINDOWS + 0.5) * window
    async with simulator(provider, **options) as (app, server):
        started = time.time()
        if naive:
            await _naive(provider, app, server.base_url, debts, limit_rule.limit, window, seconds)
        else:
            async with connect(provider, app, server, time_scale=time_scale) as client:
                tasks = _tasks(limit_rule.limit, window)
                await _drive(lambda i: _create(client, debts[i % len(debts)], i), seconds, tasks)
        # Debitura's minute counts in 10-second segments: a slot comes round a window plus a
        # segment after its first use at the soonest, so that is 100% of what it allows.
        segment = (limit_rule.segment or 0.0) / time_scale
        used, rejected, worst, sustained = _score(
            _log(provider, app), started, window, limit_rule.limit, window + segment
        )
    return used, rejected, worst, limit_rule.limit, sustained


async def _create(client: Any, debt: Any, i: int) -> None:
    import attrs

    await client.create(attrs.evolve(debt, creditor_reference=f"BUD-{i:07d}"))


async def _naive(
    provider: str,
    app: Any,
    base_url: str,
    debts: list[Any],
    limit: int,
    window: float,
    seconds: float,
) -> None:
    """A plain aiohttp loop behind AsyncLimiter(limit, window), sending the same bodies."""
    import attrs

    adapter = load_adapter(provider)
    credentials = app[CREDENTIALS]
    limiter = AsyncLimiter(limit, window)
    async with aiohttp.ClientSession() as session:
        headers = await _naive_headers(provider, session, base_url, credentials)
        url = f"{base_url}/debts" if provider == "getbill" else f"{base_url}/cases"

        async def send(i: int) -> None:
            debt = attrs.evolve(debts[i % len(debts)], creditor_reference=f"NAIVE-{i:07d}")
            async with limiter:
                body = jsonutil.dumps(adapter.to_wire(debt))
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()

        await _drive(send, seconds, _tasks(limit, window))


async def _naive_headers(
    provider: str, session: aiohttp.ClientSession, base_url: str, credentials: Any
) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if provider == "debitura":
        return {**headers, "XApiKey": credentials["api_key"]}
    origin = base_url.split("/external-api")[0]
    form = {"grant_type": "client_credentials", "scope": "debts:read debts:write", **credentials}
    async with session.post(f"{origin}/token", data=form) as response:
        token = (await response.json())["access_token"]
    return {**headers, "Authorization": f"Bearer {token}"}


def run(quick: bool = False) -> list[Figure]:
    window = 4.0 if quick else 20.0
    figures = []
    for provider in ("getbill", "debitura"):
        ours = asyncio.run(_run(provider, window, naive=False))
        theirs = asyncio.run(_run(provider, window, naive=True))
        used, rejected, worst, limit, sustained = ours
        figures.append(
            Figure(
                "budget",
                f"{provider}: share of limit used",
                used * 100,
                theirs[0] * 100,
                "%",
                ">= 99% and 0 x 429",
                used >= 0.99 and rejected == 0,
                note=(
                    f"{provider}: window {window:g}s, {LATENCY * 1000:g} ms latency; debtkit "
                    f"{rejected} x 429, worst rolling window {worst}/{limit}; aiolimiter loop "
                    f"{theirs[1]} x 429, worst rolling window {theirs[2]}/{limit}"
                ),
            )
        )
        figures.append(
            Figure(
                "budget",
                f"{provider}: sustained share of what the server allows",
                sustained * 100,
                theirs[4] * 100,
                "%",
                ">= 97% and 0 x 429",
                sustained >= 0.97 and rejected == 0,
                note=(
                    f"{provider}: (window + segment, if counted in segments) / mean time from "
                    f"request i to request i + {limit}"
                    + (" (nan: no slot was reused in this run)" if math.isnan(sustained) else "")
                ),
            )
        )
    return figures
