"""Cases created per second against the Debitura simulator (200 ms latency, limits high):
debtkit's bulk import versus Debitura's official Python SDK (`debitura-debt-collection`).

The SDK is synchronous (urllib3), so a caller creates one case per round trip; debtkit keeps
32 creates in flight, each with its own Idempotency-Key. Both send the same request bodies.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from benchmarks.report import Figure
from benchmarks.simulators import connect, simulator
from debtkit import jsonutil, load_adapter
from debtkit.bulk import bulk_import
from debtkit.plugin import RateLimit
from debtkit.sample import sample_debts
from debtkit.simulator import CREDENTIALS, Faults

UNLIMITED = (RateLimit("minute", 10**9, 60.0),)
LATENCY = 0.2


def _sdk_creates(base_url: str, api_key: str, bodies: list[dict[str, Any]]) -> float:
    import debitura_debt_collection as sdk

    configuration = sdk.Configuration(host=base_url)
    configuration.api_key["ApiKey"] = api_key
    model = (
        sdk.DebituraWebExternalApiContractsV1CasesRequestsCreateCollectionCaseRequestApiViewModel
    )
    with sdk.ApiClient(configuration) as client:
        cases = sdk.CasesApi(client)
        started = time.perf_counter()
        for body in bodies:
            request = model.from_dict(json.loads(jsonutil.dumps(body)))  # the SDK takes floats
            cases.cases_post(idempotency_key=str(uuid.uuid4()), **{_argument(cases): request})
        return len(bodies) / (time.perf_counter() - started)


def _argument(cases: Any) -> str:
    import inspect

    return next(
        p for p in inspect.signature(cases.cases_post).parameters if p.startswith("debitura_")
    )


async def _measure(count: int, sdk_count: int) -> tuple[float, float]:
    adapter = load_adapter("debitura")
    debts = list(sample_debts(count + sdk_count, seed=23, broken=0.0, prefix="PEER"))
    async with simulator("debitura", limits=UNLIMITED, faults=Faults(latency=LATENCY)) as (
        app,
        server,
    ):
        async with connect("debitura", app, server) as client:
            valid = [d for d in debts if client.check(d).ok]
            ours, theirs = valid[:count], valid[count : count + sdk_count]
            started = time.perf_counter()
            created = sum([r.outcome.ok async for r in bulk_import(client, ours, concurrency=32)])
            debtkit_rate = created / (time.perf_counter() - started)
            bodies = [adapter.to_wire(client.check(d).debt) for d in theirs]
        key = app[CREDENTIALS]["api_key"]
        sdk_rate = await asyncio.to_thread(_sdk_creates, server.base_url, key, bodies)
    return debtkit_rate, sdk_rate


def run(quick: bool = False) -> list[Figure]:
    try:
        import debitura_debt_collection  # noqa: F401
    except ImportError:
        return [
            Figure(
                "peer",
                "skipped",
                0,
                1,
                "",
                ">= 10x",
                False,
                "SDK not installed (nox -s bench installs it)",
            )
        ]
    ours, theirs = asyncio.run(_measure(160 if quick else 640, 10 if quick else 25))
    return [
        Figure(
            "peer",
            "Debitura cases created/s",
            ours,
            theirs,
            "cases/s",
            ">= 10x",
            ours >= 10 * theirs,
            note="200 ms simulated latency, limits off; baseline = debitura-debt-collection 1.0.0",
        )
    ]
