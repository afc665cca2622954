from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import attrs

from debtkit import Debt
from debtkit.bulk import BulkResult, Outcome, Progress, bulk_import
from debtkit.bulk.ledger import Ledger, LedgerState, content_hash
from debtkit.errors import Problem, ServerError
from debtkit.files import Row
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeBatchProvider, FakeProvider, lost, refuse


def debts(count: int, prefix: str = "BULK") -> list[Debt]:
    return list(sample_debts(count, seed=3, broken=0.0, prefix=prefix))


async def run(provider: FakeProvider, items: object, **options: object) -> list[BulkResult]:
    return [r async for r in bulk_import(provider, items, **options)]  # type: ignore[arg-type]


async def test_every_debt_gets_one_result_with_its_input_index() -> None:
    provider = FakeProvider()
    results = await run(provider, debts(50))
    assert sorted(r.index for r in results) == list(range(50))
    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert len(provider.cases_by_ref) == 50


async def test_invalid_debts_are_reported_and_never_sent() -> None:
    provider = FakeProvider()
    batch = debts(5)
    batch[2] = attrs.evolve(batch[2], amount=Decimal("-1"))
    results = {r.index: r for r in await run(provider, batch)}
    assert results[2].outcome is Outcome.INVALID
    assert [p.path for p in results[2].problems] == ["amount"]
    assert batch[2].creditor_reference not in provider.create_calls


async def test_unreadable_rows_are_reported_as_invalid() -> None:
    bad_row = Row(7, None, (Problem("", "json", "is not valid JSON"),))
    (result,) = await run(FakeProvider(), [bad_row])
    assert (result.outcome, result.problems) == (Outcome.INVALID, bad_row.problems)


async def test_provider_rejection_is_reported_and_the_import_goes_on() -> None:
    batch = debts(10)
    rejected = batch[4].creditor_reference
    provider = FakeProvider(
        fail_before=lambda d: refuse() if d.creditor_reference == rejected else None
    )
    results = {r.creditor_reference: r for r in await run(provider, batch)}
    assert results[rejected].outcome is Outcome.REJECTED
    assert results[rejected].error_type == "BadRequestError"
    assert sum(r.outcome is Outcome.CREATED for r in results.values()) == 9


async def test_rerun_with_the_same_ledger_skips_what_was_created(tmp_path: Path) -> None:
    provider = FakeProvider()
    batch = debts(20)
    await run(provider, batch, ledger=tmp_path / "l.sqlite")
    provider.create_calls.clear()
    results = await run(provider, batch, ledger=tmp_path / "l.sqlite")
    assert {r.outcome for r in results} == {Outcome.ALREADY_CREATED}
    assert provider.create_calls == []


async def test_rerun_looks_up_in_flight_debts_before_sending(tmp_path: Path) -> None:
    provider = FakeProvider()
    batch = debts(4)
    landed, never_left = batch[0], batch[1]
    await provider.create(landed)  # the crashed run's request for it did reach the provider
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record(
            "fake",
            [
                (
                    landed.creditor_reference,
                    content_hash(provider.check(landed).debt),
                    LedgerState.SENDING,
                    None,
                    None,
                ),
                (
                    never_left.creditor_reference,
                    content_hash(provider.check(never_left).debt),
                    LedgerState.SENDING,
                    None,
                    None,
                ),
            ],
        )
    provider.create_calls.clear()
    results = {r.creditor_reference: r.outcome for r in await run(provider, batch, ledger=path)}
    assert results[landed.creditor_reference] is Outcome.ALREADY_CREATED
    assert results[never_left.creditor_reference] is Outcome.CREATED
    assert sorted(provider.find_calls) == sorted(
        [landed.creditor_reference, never_left.creditor_reference]
    )
    assert landed.creditor_reference not in provider.create_calls
    assert len(provider.cases_by_ref) == 4


async def test_queued_debts_of_a_dead_run_are_sent_without_a_lookup(tmp_path: Path) -> None:
    provider = FakeProvider()
    (debt,) = debts(1)
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record(
            "fake",
            [
                (
                    debt.creditor_reference,
                    content_hash(provider.check(debt).debt),
                    LedgerState.QUEUED,
                    None,
                    None,
                )
            ],
            "old-run",
        )
    (result,) = await run(provider, [debt], ledger=path)
    assert result.outcome is Outcome.CREATED
    assert provider.find_calls == []


async def test_lost_response_is_ambiguous_then_reconciled_on_rerun(tmp_path: Path) -> None:
    (debt,) = debts(1)
    provider = FakeProvider(fail_after=lost)
    (first,) = await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    assert first.outcome is Outcome.AMBIGUOUS
    provider.fail_after = None
    (second,) = await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    assert second.outcome is Outcome.ALREADY_CREATED
    assert provider.create_calls == [debt.creditor_reference]


async def test_changed_content_under_a_sent_reference_is_reported_not_resent(
    tmp_path: Path,
) -> None:
    provider = FakeProvider()
    (debt,) = debts(1)
    await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    changed = attrs.evolve(debt, amount=debt.amount + 1)
    (result,) = await run(provider, [changed], ledger=tmp_path / "l.sqlite")
    assert result.outcome is Outcome.CHANGED
    assert provider.create_calls == [debt.creditor_reference]


async def test_reference_repeated_in_one_input_is_sent_once() -> None:
    provider = FakeProvider()
    (debt,) = debts(1)
    results = await run(provider, [debt, debt])
    assert sorted(r.outcome.value for r in results) == ["created", "duplicate"]
    assert provider.create_calls == [debt.creditor_reference]


async def test_rejected_debt_is_sent_again_on_rerun(tmp_path: Path) -> None:
    (debt,) = debts(1)
    provider = FakeProvider(fail_before=lambda d: refuse(422))
    await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    provider.fail_before = None
    (result,) = await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    assert result.outcome is Outcome.CREATED


async def test_server_error_outlasting_retries_is_ambiguous_and_looked_up_on_rerun(
    tmp_path: Path,
) -> None:
    (debt,) = debts(1)
    failure = ServerError("unavailable", provider="fake", method="POST", path="/debts", status=503)
    provider = FakeProvider(fail_before=lambda d: failure)
    (first,) = await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    provider.fail_before = None
    (second,) = await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    assert (first.outcome, first.error_type) == (Outcome.AMBIGUOUS, "ServerError")
    assert second.outcome is Outcome.CREATED
    assert provider.find_calls == [debt.creditor_reference]


async def test_batch_capable_provider_gets_full_batches() -> None:
    provider = FakeBatchProvider()
    results = await run(provider, debts(2500), batch_size=1000)
    assert sorted(provider.batch_sizes) == [500, 1000, 1000]
    assert all(r.outcome is Outcome.CREATED for r in results)


async def test_async_iterable_input_is_accepted() -> None:
    async def stream() -> AsyncIterator[Debt]:
        for debt in debts(3):
            yield debt

    results = await run(FakeProvider(), stream())
    assert len(results) == 3


async def test_progress_reports_the_final_counts() -> None:
    seen: list[Progress] = []
    batch = debts(6)
    batch[0] = attrs.evolve(batch[0], currency="EUX")
    await run(FakeProvider(), batch, on_progress=seen.append)
    assert seen[-1] == Progress(done=6, created=5, failed=1, queued=0)


async def test_stopping_early_leaves_in_flight_debts_for_reconciliation(tmp_path: Path) -> None:
    provider = FakeProvider()
    path = tmp_path / "l.sqlite"
    stream = bulk_import(provider, debts(30), ledger=path, concurrency=2)
    async for _ in stream:
        break
    await stream.aclose()
    results = await run(provider, debts(30), ledger=path)
    assert all(r.outcome.ok for r in results)
    assert len(provider.cases_by_ref) == 30
    assert len(provider.create_calls) == 30


async def test_in_flight_batch_is_settled_with_one_bulk_lookup(tmp_path: Path) -> None:
    provider = FakeBatchProvider()
    batch = debts(6)
    in_flight = [
        (
            d.creditor_reference,
            content_hash(provider.check(d).debt),
            LedgerState.SENDING,
            None,
            None,
        )
        for d in batch
    ]
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:  # the dead run marked its batch in flight, then sent it
        ledger.record("fake", in_flight)
    for debt in batch[:3]:  # and the request landed for these before the crash
        await provider.create(debt)
    provider.create_calls.clear()
    results = {r.creditor_reference: r.outcome for r in await run(provider, batch, ledger=path)}
    assert provider.find_many_calls == [sorted(d.creditor_reference for d in batch)]
    assert provider.find_calls == []
    outcomes = [results[d.creditor_reference] for d in batch]
    assert outcomes == [Outcome.ALREADY_CREATED] * 3 + [Outcome.CREATED] * 3
    assert sorted(provider.create_calls) == sorted(d.creditor_reference for d in batch[3:])
