"""Bulk imports on a lost ledger: refused unless told, then every unseen debt looked up first."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest

from debtkit import Debt
from debtkit.bulk import BulkResult, Outcome, bulk_import
from debtkit.bulk.ledger import Ledger
from debtkit.errors import ConfigurationError, LedgerLostError
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeBatchProvider, FakeProvider


def debts(count: int) -> list[Debt]:
    return list(sample_debts(count, seed=4, broken=0.0, prefix="LOST"))


async def run(provider: FakeProvider, items: list[Debt], **options: object) -> list[BulkResult]:
    return [r async for r in bulk_import(provider, items, **options)]  # type: ignore[arg-type]


async def lost_after_first_half(provider: FakeProvider, batch: list[Debt], path: Path) -> None:
    """An earlier run created the first half, then its ledger was deleted."""
    await run(provider, batch[: len(batch) // 2], ledger=path)
    os.unlink(path)
    provider.create_calls.clear()


async def test_a_lost_ledger_sends_nothing_without_the_flag(tmp_path: Path) -> None:
    provider, batch, path = FakeProvider(), debts(10), tmp_path / "l.sqlite"
    await lost_after_first_half(provider, batch, path)
    with pytest.raises(LedgerLostError):
        await run(provider, batch, ledger=path)
    assert provider.create_calls == []


async def test_with_the_flag_every_debt_is_looked_up_before_it_is_sent(tmp_path: Path) -> None:
    provider, batch, path = FakeProvider(), debts(10), tmp_path / "l.sqlite"
    await lost_after_first_half(provider, batch, path)
    provider.find_calls.clear()
    results = await run(provider, batch, ledger=path, ledger_lost=True)
    assert sorted(provider.find_calls) == sorted(d.creditor_reference for d in batch)
    assert sorted(provider.create_calls) == sorted(d.creditor_reference for d in batch[5:])
    by_ref = {r.creditor_reference: r.outcome for r in results}
    assert [by_ref[d.creditor_reference] for d in batch] == (
        [Outcome.ALREADY_CREATED] * 5 + [Outcome.CREATED] * 5
    )


async def test_a_batch_provider_reconciles_with_one_listing_per_batch(tmp_path: Path) -> None:
    provider, batch, path = FakeBatchProvider(), debts(10), tmp_path / "l.sqlite"
    await lost_after_first_half(provider, batch, path)
    await run(provider, batch, ledger=path, ledger_lost=True, batch_size=10)
    assert provider.find_many_calls == [sorted(d.creditor_reference for d in batch)]
    assert sorted(provider.create_calls) == sorted(d.creditor_reference for d in batch[5:])


async def test_a_reconciling_run_stopped_early_still_looks_up_on_rerun(tmp_path: Path) -> None:
    provider, batch, path = FakeProvider(), debts(10), tmp_path / "l.sqlite"
    await lost_after_first_half(provider, batch, path)
    stream = bulk_import(provider, batch, ledger=path, ledger_lost=True, concurrency=1)
    async for _ in stream:
        break
    await stream.aclose()
    results = await run(provider, batch, ledger=path)  # no flag: it remembers the loss
    assert all(r.outcome.ok for r in results)
    first_half = {d.creditor_reference for d in batch[:5]}
    assert not first_half & set(provider.create_calls)  # never offered to create again
    assert sorted(provider.create_calls) == sorted(d.creditor_reference for d in batch[5:])


async def test_the_flag_with_an_open_ledger_is_a_configuration_error(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger, pytest.raises(ConfigurationError):
        await run(FakeProvider(), debts(1), ledger=ledger, ledger_lost=True)


async def test_a_debt_refused_locally_after_the_loss_is_looked_up_once_fixed(
    tmp_path: Path,
) -> None:
    provider, batch, path = FakeProvider(), debts(2), tmp_path / "l.sqlite"
    await lost_after_first_half(provider, batch, path)  # the lost run created batch[0]
    broken = attrs.evolve(batch[0], currency="EUX")
    (refused,) = await run(provider, [broken], ledger=path, ledger_lost=True)
    assert refused.outcome is Outcome.INVALID
    (fixed,) = await run(provider, [batch[0]], ledger=path)
    assert fixed.outcome is Outcome.ALREADY_CREATED
    assert provider.create_calls == []
