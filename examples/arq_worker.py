"""Draining a shared import with arq: each job is one worker's share of the import.

An import is stored once in a PostgreSQL ledger; then any number of arq jobs, in any number
of worker processes on any number of hosts, drain it together: each debt is claimed by one
job at a time, and a job whose worker died leaves its claims to the others once their lease
expires. Every job's requests share one rate budget, kept in arq's own Redis.

Needs ``pip install 'debtkit[redis,postgres]' arq``, a Redis server at REDIS_URL (default
``redis://localhost:6379/0``) and an empty PostgreSQL database at LEDGER_URL (default
``postgresql://localhost/debtkit``). Run as it is, it starts GetBill's simulator with its hour
compressed to a tenth of a second, stores 300 sample debts as an import, enqueues two drain
jobs of it and runs an arq worker in burst mode (it stops once the queue is empty). In
production, run ``arq`` with a `WorkerSettings` like the one built in `worker_for` on every
host, and enqueue ``drain_import`` once per worker you want on the import.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import NamedTuple

from arq.connections import RedisSettings, create_pool
from arq.worker import Worker, func
from debtkit_getbill import GetBillAdapter
from debtkit_getbill.simulator import RunningSimulator

from debtkit import load_adapter
from debtkit.budget.redis_books import shared_budget_for_adapter
from debtkit.bulk.drain import drain
from debtkit.bulk.journal import Account, account_key
from debtkit.bulk.shared import open_ledger, start_import
from debtkit.sample import sample_debts

TIME_SCALE = 36_000.0  # the simulator's hour lasts 0.1 s
DEBTS = 300
JOBS = 2


class Sending(NamedTuple):
    """What every drain job needs besides the import id; in production, from settings."""

    ledger_url: str
    redis_url: str  # the budget's, the same Redis as arq's queue
    base_url: str
    credentials: Mapping[str, str]


# --8<-- [start:job]
async def drain_import(ctx: Mapping[str, object], import_id: str) -> dict[str, int]:
    """One worker's share of the import: drain it until nothing is left, then say what this
    job settled. Its budget is in arq's own Redis, shared with every other job."""
    sending = ctx["sending"]
    assert isinstance(sending, Sending)
    adapter = load_adapter("getbill", GetBillAdapter)
    budget = shared_budget_for_adapter(
        sending.redis_url, adapter, sending.credentials, time_scale=TIME_SCALE, namespace="example"
    )
    outcomes: Counter[str] = Counter()
    client = adapter.connect(sending.credentials, base_url=sending.base_url, gate=budget)
    async with open_ledger(sending.ledger_url) as ledger, client:
        async for result in drain(client, ledger, import_id, batch_size=50, lease=30.0):
            outcomes[result.outcome.value] += 1
    await budget.aclose()
    return dict(outcomes)


# --8<-- [end:job]


def worker_for(redis_url: str, queue: str, sending: Sending) -> Worker:
    async def startup(ctx: dict[str, object]) -> None:
        ctx["sending"] = sending

    return Worker(
        functions=[func(drain_import, name="drain_import")],
        redis_settings=RedisSettings.from_dsn(redis_url),
        queue_name=queue,
        on_startup=startup,
        burst=True,  # stop once the queue is empty: for this demonstration
        max_jobs=JOBS,
        handle_signals=False,
    )


async def store_import(sending: Sending) -> str:
    """Store the sample debts as a new import (a second call with its id would resume it)."""
    adapter = load_adapter("getbill", GetBillAdapter)
    account = Account("getbill", account_key("getbill", sending.base_url, sending.credentials))
    debts = (d for d in sample_debts(DEBTS * 2, seed=3, broken=0.0, prefix="ARQ"))
    async with (
        open_ledger(sending.ledger_url) as ledger,
        adapter.connect(sending.credentials, base_url=sending.base_url) as client,
    ):
        valid = [d for d in debts if client.check(d).ok][:DEBTS]
        info = await start_import(client, ledger, valid, account=account)
    return info.import_id


async def main() -> None:
    redis_url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    ledger_url = os.environ.get("LEDGER_URL", "postgresql://localhost/debtkit")
    queue = f"example-{uuid.uuid4().hex[:8]}"
    async with RunningSimulator(time_scale=TIME_SCALE) as simulator:
        sending = Sending(ledger_url, redis_url, simulator.base_url, simulator.credentials)
        import_id = await store_import(sending)
        queue_client = await create_pool(RedisSettings.from_dsn(redis_url))
        for _ in range(JOBS):
            await queue_client.enqueue_job("drain_import", import_id, _queue_name=queue)
        await queue_client.aclose()
        worker = worker_for(redis_url, queue, sending)
        await worker.main()
        await worker.close()
        async with open_ledger(ledger_url) as ledger:
            counts = await ledger.counts(import_id)  # what `debtkit status` shows
        held = simulator.state.internal_id_counts()  # creditor reference -> debts held
    created = {state: n for state, n in counts.items() if n}
    print(f"{JOBS} jobs drained import {import_id}: {created}; the simulator holds {len(held)}")
    if len(held) != DEBTS or set(held.values()) != {1} or created != {"created": DEBTS}:
        raise SystemExit("the import was not drained exactly once")


if __name__ == "__main__":
    asyncio.run(main())
