"""Bulk import reads its input only as fast as batches drain: while every sender is stuck,
at most two whole batches wait admitted beside the ones being sent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

from debtkit import Debt
from debtkit.bulk import bulk_import
from debtkit.plugin import ItemResult
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeBatchProvider

BATCH = 10
SENDERS = 3


class StuckBatches(FakeBatchProvider):
    """Every batch waits until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.sending = 0

    async def create_batch(self, debts: Sequence[Debt]) -> list[ItemResult]:
        self.sending += 1
        await self.release.wait()
        return await super().create_batch(debts)


async def test_stuck_senders_hold_the_input_at_two_waiting_batches() -> None:
    provider = StuckBatches()
    pulled = 0

    def source() -> Iterator[Debt]:
        nonlocal pulled
        for debt in sample_debts(200, seed=4, broken=0.0, prefix="MEM"):
            pulled += 1
            yield debt

    stream = bulk_import(provider, source(), batch_size=BATCH, concurrency=SENDERS)
    reader = asyncio.ensure_future(anext(stream))
    for _ in range(200):  # let the pipeline fill up as far as it can
        await asyncio.sleep(0)
    assert provider.sending == SENDERS
    # the senders' batches, two waiting, one being filled, and the debt that found it full
    assert pulled <= (SENDERS + 2 + 1) * BATCH + 1
    provider.release.set()
    await reader
    results = [r async for r in stream]
    assert len(results) == 199
