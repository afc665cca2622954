"""Cases created per second against the Debitura simulator (in its own process, 200 ms
latency, limits off): debtkit's bulk import versus Debitura's official Python SDK
(`debitura-debt-collection`), at EQUAL concurrency.

The SDK is synchronous (urllib3), so it gets N threads where debtkit keeps N creates in
flight; both send the same request bodies, each with its own Idempotency-Key, and both have
local validation inside the timed region (debtkit's bulk import validates every debt; the SDK
side runs the same `check()` and `to_wire()` before sending). The headline compares them at 32
in flight; the sequential figure (one at a time each) is reported separately.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.report import Figure
from benchmarks.server import out_of_process
from debtkit import Debt, jsonutil, load_adapter
from debtkit.bulk import bulk_import
from debtkit.plugin import ProviderClient
from debtkit.sample import sample_debts

LATENCY = 0.2


def _sdk_creates(base_url: str, api_key: str, debts: list[Debt], check: Any, threads: int) -> float:
    import debitura_debt_collection as sdk

    adapter = load_adapter("debitura")
    configuration = sdk.Configuration(host=base_url)
    configuration.api_key["ApiKey"] = api_key
    configuration.connection_pool_maxsize = threads
    model = (
        sdk.DebituraWebExternalApiContractsV1CasesRequestsCreateCollectionCaseRequestApiViewModel
    )
    with sdk.ApiClient(configuration) as client:
        cases = sdk.CasesApi(client)
        argument = next(
            p for p in inspect.signature(cases.cases_post).parameters if p.startswith("debitura_")
        )

        def create(body: dict[str, Any]) -> None:
            request = model.from_dict(json.loads(jsonutil.dumps(body)))  # the SDK takes floats
            cases.cases_post(idempotency_key=str(uuid.uuid4()), **{argument: request})

        started = time.perf_counter()
        bodies = [adapter.to_wire(check(d).debt) for d in debts if check(d).ok]
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(create, bodies))
        return len(bodies) / (time.perf_counter() - started)


async def _debtkit_creates(client: ProviderClient, debts: list[Debt], concurrency: int) -> float:
    started = time.perf_counter()
    results = [r async for r in bulk_import(client, debts, concurrency=concurrency)]
    return sum(r.outcome.ok for r in results) / (time.perf_counter() - started)


async def _measure(count: int, concurrency: int, seed: int) -> tuple[float, float]:
    adapter = load_adapter("debitura")
    debts = list(sample_debts(2 * count, seed=seed, broken=0.0, prefix=f"PEER{concurrency}"))
    async with (
        out_of_process("debitura", unlimited=True, latency=LATENCY) as served,
        adapter.connect(served.credentials, base_url=served.base_url) as client,
    ):
        valid = [d for d in debts if client.check(d).ok]
        ours, theirs = valid[:count], valid[count : 2 * count]
        debtkit_rate = await _debtkit_creates(client, ours, concurrency)
        key = served.credentials["api_key"]
        sdk_rate = await asyncio.to_thread(
            _sdk_creates, served.base_url, key, theirs, client.check, concurrency
        )
    return debtkit_rate, sdk_rate


def run(quick: bool = False) -> list[Figure]:
    try:
        import debitura_debt_collection  # noqa: F401
    except ImportError:
        return [
            Figure("peer", "skipped", 0, 1, "", "(reported)", False,
                   "SDK not installed (nox -s bench installs it)")
        ]  # fmt: skip
    figures = []
    for concurrency, count in ((32, 160 if quick else 640), (1, 10 if quick else 25)):
        ours, theirs = asyncio.run(_measure(count, concurrency, seed=23 + concurrency))
        label = "32 in flight each" if concurrency > 1 else "sequential, one at a time each"
        figures.append(
            Figure(
                "peer",
                f"Debitura cases created/s, {label}",
                ours,
                theirs,
                "cases/s",
                "(reported)",
                True,
                note=f"{label}: server out of process, 200 ms latency, limits off, validation "
                "timed on both sides; baseline = debitura-debt-collection 1.0.0 "
                f"({concurrency} thread(s))",
            )
        )
    return figures
