"""Bulk imports of 2,000 debts into each simulator while it fails in every way it can: 10% 5xx,
5% answers lost after the commit, 5% reset connections, 2% answers stalled beyond the client's
timeout. Reruns with the same ledger settle what a run left unsettled; every debt ends up at
the provider exactly once, and no run ever creates one twice."""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from debtkit import Debt, RateLimit, load_adapter
from debtkit.budget import default_pool
from debtkit.bulk import BulkResult, Outcome, bulk_import
from debtkit.bulk.ledger import Ledger, LedgerState
from debtkit.retry import RetryPolicy
from debtkit.sample import sample_debts
from debtkit.simulator import Faults
from debtkit.transport import Request, RequestGate, Response, Timeouts

T = TypeVar("T")

DEBTS = 2000
RERUNS = 5  # a run leaves a debt unsettled only when its retries and its lookup all failed
# Generous for an unstalled request on a loaded machine; the injected stall outlasts it.
TIMEOUTS = Timeouts(total=3.0, connect=3.0, read=3.0)
RETRY = RetryPolicy(attempts=4, base=0.02, cap=0.2)  # the default attempts, waits compressed
GENEROUS = 1_000_000  # this is about faults: limits on both sides that never bind
NO_ANSWER = ("ConnectionFailedError", "RequestTimeoutError")


def faults(seed: int) -> Faults:
    return Faults(
        server_error=0.10, lost_response=0.05, reset=0.05, timeout=0.02, stall=4.0, seed=seed
    )


class AttemptLog:
    """A gate in front of the client's budget noting how each attempt ended, by request."""

    def __init__(self, inner: RequestGate) -> None:
        self.inner = inner
        self.ended: collections.Counter[tuple[str, str, str]] = collections.Counter()

    def count(self, method: str, path: str, *endings: str) -> int:
        return sum(n for (m, p, how), n in self.ended.items() if (m, p) == (method, path)
                   and how in endings)  # fmt: skip

    async def before_attempt(self, request: Request) -> None:
        await self.inner.before_attempt(request)

    def after_response(self, request: Request, response: Response) -> None:
        self.ended[request.method, request.path, str(response.status)] += 1
        self.inner.after_response(request, response)

    def after_failure(self, request: Request, error: BaseException) -> None:
        self.ended[request.method, request.path, type(error).__name__] += 1
        self.inner.after_failure(request, error)


def debts_for(client: Any, prefix: str) -> list[Debt]:
    sample = sample_debts(DEBTS + 100, seed=17, broken=0.0, prefix=prefix)
    return list(itertools.islice((d for d in sample if client.check(d).ok), DEBTS))


async def import_until_settled(
    client: Any, debts: list[Debt], ledger: Path, after_run: Callable[[], T], **options: Any
) -> tuple[list[list[BulkResult]], list[T], dict[LedgerState, int]]:
    """A first run and as many reruns as it takes (at most `RERUNS`), all with one ledger:
    each run's results, what `after_run()` saw after each, and the ledger's final counts."""
    runs: list[list[BulkResult]] = []
    seen: list[T] = []
    for _ in range(1 + RERUNS):
        runs.append([r async for r in bulk_import(client, debts, ledger=ledger, **options)])
        seen.append(after_run())
        with Ledger(ledger) as book:
            counts = book.counts(client.provider)
        if counts == {LedgerState.CREATED: len(debts)}:
            break
    return runs, seen, counts


async def test_getbill_bulk_import_under_faults_creates_every_debt_exactly_once(
    getbill_simulator_factory: Any, tmp_path: Path
) -> None:
    simulator = await getbill_simulator_factory(
        faults=faults(seed=11), write_limit=GENEROUS, read_limit=GENEROUS
    )
    budget = default_pool().for_adapter(
        load_adapter("getbill"),
        simulator.credentials,
        overrides={"write": GENEROUS, "read": GENEROUS},
    )
    attempts = AttemptLog(budget)
    async with simulator.connect(timeouts=TIMEOUTS, retry=RETRY, gate=attempts) as client:
        debts = debts_for(client, "FAULT-GB")
        # 40 batch requests of 50, so that every kind of fault meets some of them.
        runs, held, ledger = await import_until_settled(
            client, debts, tmp_path / "ledger.sqlite", simulator.state.internal_id_counts,
            batch_size=50,
        )  # fmt: skip
    assert attempts.count("POST", "debts/batch", "500") > 0
    assert attempts.count("POST", "debts/batch", *NO_ANSWER) > 0
    assert ledger == {LedgerState.CREATED: DEBTS}
    assert not any(r.outcome is Outcome.REJECTED for run in runs for r in run)
    # GetBill keeps a debt sent twice twice (internal_id is not unique there), so these counts
    # show every duplicate ever created: none after the first run, none at the end.
    assert max(held[0].values()) == 1
    assert sorted(held[-1]) == sorted(d.creditor_reference for d in debts)
    assert set(held[-1].values()) == {1}


async def test_debitura_bulk_import_under_faults_creates_every_debt_exactly_once(
    debitura_simulator_factory: Any, tmp_path: Path
) -> None:
    limits = tuple(RateLimit(name, GENEROUS, window, kind) for name, window, kind in (
        ("minute", 60.0, "sliding"), ("hour", 3600.0, "fixed"), ("day", 86400.0, "fixed"),
    ))  # fmt: skip
    simulator = await debitura_simulator_factory(faults=faults(seed=12), limits=limits)
    overrides = {rule.name: GENEROUS for rule in limits}
    budget = default_pool().for_adapter(
        load_adapter("debitura"), simulator.credentials, overrides=overrides
    )
    attempts = AttemptLog(budget)

    def refused_creates() -> int:
        return sum(1 for r in simulator.state.requests if r.method == "POST" and r.status != 200)

    async with simulator.connect(timeouts=TIMEOUTS, retry=RETRY, gate=attempts) as client:
        debts = debts_for(client, "FAULT-DB")
        runs, refused, ledger = await import_until_settled(
            client, debts, tmp_path / "ledger.sqlite", refused_creates, concurrency=16
        )
    assert attempts.count("POST", "cases", "500") > 0
    assert attempts.count("POST", "cases", *NO_ANSWER) > 0
    assert any(r.replayed for r in simulator.state.requests)  # retries reused the key
    assert ledger == {LedgerState.CREATED: DEBTS}
    # Debitura refuses a second case under one creditor reference: a duplicate sent would
    # show as a refused create (400 DuplicateReference), in any run, never as two cases.
    assert refused == [0] * len(runs)
    assert not any(r.error_type == "DuplicateError" for run in runs for r in run)
    assert not any(r.outcome is Outcome.REJECTED for run in runs for r in run)
    held = collections.Counter(simulator.state.created_references())
    assert sorted(held) == sorted(d.creditor_reference for d in debts)
    assert set(held.values()) == {1}
