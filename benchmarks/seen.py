"""Deliveries per second through a shared seen-store, three replicas' store instances at once.

`python -m benchmarks seen` (not in the default set: it starts a PostgreSQL cluster and a
redis-server on loopback, so it needs their binaries). Each event is delivered twice by 32
concurrent workers spread over three store instances (three replicas). debtkit's path is the
receiver's: ``claim`` then ``add`` (one winner per event, under concurrency too); the
baseline is the older check-then-add (``contains`` then ``add``), which lets two
simultaneous deliveries both through. The handler itself is not timed.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager

from benchmarks.report import Figure
from debtkit.events import ClaimingSeenStore, PostgresSeenStore, RedisSeenStore

SharedStore = Callable[[], "PostgresSeenStore | RedisSeenStore"]

WORKERS = 32
REPLICAS = 3


@contextmanager
def _redis_server() -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not on PATH")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
             "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(10)


async def _deliveries_per_second(
    make: SharedStore, events: int, *, claiming: bool
) -> tuple[float, int]:
    """(deliveries per second, how many deliveries were handed on)."""
    run_id = uuid.uuid4().hex
    queue = [f"ev-{run_id}-{n}" for n in range(events) for _ in range(2)]
    handed_on = 0
    async with AsyncExitStack() as stack:
        stores: list[ClaimingSeenStore] = []
        for _ in range(REPLICAS):
            stores.append(await stack.enter_async_context(make()))

        async def worker(index: int) -> None:
            nonlocal handed_on
            store = stores[index % REPLICAS]
            while queue:
                event_id = queue.pop()
                if claiming:
                    claim = await store.claim(event_id, 60)
                    if claim.claimed:
                        handed_on += 1
                        await store.add(event_id)
                elif not await store.contains(event_id):
                    handed_on += 1
                    await store.add(event_id)

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(WORKERS)))
        took = time.perf_counter() - started
    return 2 * events / took, handed_on


def _figures(name: str, make: SharedStore, events: int) -> list[Figure]:
    rate, handed = asyncio.run(_deliveries_per_second(make, events, claiming=True))
    base_rate, base_handed = asyncio.run(_deliveries_per_second(make, events, claiming=False))
    assert handed == events, (handed, events)
    return [
        Figure(
            "seen",
            f"{name}: deliveries/s, {events:,} events x2, 3 replicas",
            rate,
            base_rate,
            "deliveries/s",
            ">= 500 deliveries/s",
            rate >= 500,
            f"{name}: claims hand each event on once ({handed}/{events}); "
            f"check-then-add handed on {base_handed}",
        )
    ]


def run(*, quick: bool = False) -> list[Figure]:
    from tests import postgres_server

    events = 500 if quick else 5_000
    figures = []
    with _redis_server() as redis_url:
        prefix = f"bench:{uuid.uuid4().hex}:"
        figures += _figures("redis", lambda: RedisSeenStore(redis_url, prefix=prefix), events)
    with postgres_server.running_cluster() as postgres_url:
        figures += _figures("postgres", lambda: PostgresSeenStore(postgres_url), events)
    return figures
