"""A client reused across two `asyncio.run()` calls works: the session opened under the first
(now closed) loop is dropped, not used or closed on the dead loop."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from debtkit import Registry
from tests.core.served_simulator import ServedSimulator


@pytest.mark.parametrize("provider", ["getbill", "debitura"])
def test_a_client_reused_across_two_asyncio_runs_reads_both_times(provider: str) -> None:
    adapter = Registry().get(provider)
    with ServedSimulator(adapter) as served:
        client = adapter.connect(served.credentials, base_url=served.base_url)

        async def count_cases() -> int:
            return len([case async for case in client.cases()])

        gc.collect()  # other tests' garbage warns on its own; only this client's counts
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            first = asyncio.run(count_cases())
            second = asyncio.run(count_cases())  # failed with "Event loop is closed"
            asyncio.run(client.aclose())
            gc.collect()
        assert first == second == 0
        assert [w for w in caught if "client session" in str(w.message).lower()] == []
