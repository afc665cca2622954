"""Sync: `CaseEvent`s from comparing a provider's current cases with a local snapshot.

For providers or accounts without webhooks. `ChangeFeed` walks the provider's listing once,
compares each case with the `SnapshotStore`, and yields one event per difference:

- a case the store has never seen: ``CREATED`` (or, with ``announce_existing=False`` on a
  store that holds nothing for the provider yet, silently recorded as the baseline);
- a case whose status changed: ``CLOSED`` when it moved into a closed status (with the close
  reason), else ``STATUS_CHANGED``; either way with old and new neutral and raw statuses;
- a payment whose id the store has not reported: ``PAYMENT_RECEIVED``; one reported before
  and now missing from a complete listing: ``PAYMENT_REVERSED``.

Event ids are stable (``<provider>:sync:<case>:<version>``, ``<provider>:payment:<id>``), so
an event delivered twice is recognisably the same event.

Delivery semantics: **exactly once for every event whose handling completed.** The snapshot
change behind an event is committed when the event is acknowledged: explicitly with
`ChangeFeed.ack()`, implicitly when the consumer asks for the next event, or when the
``async with`` block ends without an exception. An event whose handler raised, or that was
in flight when the process died, is not acknowledged and comes again on the next sync, with
the same id (at-least-once for that single in-flight event: a handler that cannot finish
atomically should deduplicate by `event_id`). Nothing is lost: a change the feed never
yielded (a crash earlier in the walk, or a row offset paging skipped while the provider's
data moved) is still a difference next time. Snapshots of unchanged cases are not written.

Cost: one listing walk per sync; the reads per provider are on each client's `changes()`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from types import TracebackType

from debtkit.events.model import CaseEvent, EventType, Payment
from debtkit.events.snapshots import CaseSnapshot, SnapshotStore
from debtkit.model import Case, CaseStatus

__all__ = ["ChangeFeed"]

logger = logging.getLogger("debtkit.events.sync")

_PAGE = 500  # cases compared per store query


class ChangeFeed:
    """An async iterator of `CaseEvent`s since the last acknowledged sync; see the module.

    ``cases`` is a fresh walk of every case the provider holds; ``payments`` (optional) a
    fresh walk of every payment on the account. ``store`` is a `SnapshotStore` (left open) or
    the path of its SQLite file (opened here, closed when the feed ends or is closed).
    """

    def __init__(
        self,
        provider: str,
        cases: AsyncIterable[Case],
        store: SnapshotStore | str | Path,
        *,
        payments: AsyncIterable[Payment] | None = None,
        announce_existing: bool = True,
    ) -> None:
        self.provider = provider
        self._cases = cases
        self._payments = payments
        self._owned = not isinstance(store, SnapshotStore)
        self._store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
        self._announce = announce_existing
        self._pending: Callable[[], None] | None = None
        self._events = self._walk()
        self.yielded = 0
        self.acknowledged = 0

    def __repr__(self) -> str:
        return f"ChangeFeed({self.provider!r}, yielded={self.yielded})"

    def __aiter__(self) -> ChangeFeed:
        return self

    async def __anext__(self) -> CaseEvent:
        self.ack()  # asking for the next event acknowledges the one before
        try:
            event, commit = await self._events.__anext__()
        except StopAsyncIteration:
            self._close_store()
            raise
        self._pending = commit
        self.yielded += 1
        return event

    def ack(self) -> None:
        """Record the last yielded event as handled: it will never be yielded again."""
        commit, self._pending = self._pending, None
        if commit is not None:
            commit()
            self.acknowledged += 1

    async def aclose(self) -> None:
        """Stop without acknowledging the event in hand (it comes again next sync)."""
        self._pending = None
        try:
            await self._events.aclose()
        finally:
            self._close_store()

    def _close_store(self) -> None:
        if self._owned:
            self._owned = False
            self._store.close()

    async def __aenter__(self) -> ChangeFeed:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.ack()  # the block ended normally: the last event was handled
        await self.aclose()

    # -- the walk ----------------------------------------------------------------------------

    async def _walk(self) -> AsyncGenerator[tuple[CaseEvent, Callable[[], None]], None]:
        store, provider = self._store, self.provider
        baseline = not self._announce and store.case_count(provider) == 0
        batch: list[Case] = []
        async for case in self._cases:
            batch.append(case)
            if len(batch) >= _PAGE:
                async for item in self._compare(batch, baseline):
                    yield item
                batch = []
        async for item in self._compare(batch, baseline):
            yield item
        if self._payments is not None:
            async for item in self._compare_payments(self._payments, baseline):
                yield item
        logger.debug("%s: sync walked; %d events so far", provider, self.yielded)

    async def _compare(
        self, cases: list[Case], baseline: bool
    ) -> AsyncIterator[tuple[CaseEvent, Callable[[], None]]]:
        if not cases:
            return
        store, provider = self._store, self.provider
        known = store.cases(provider, (c.provider_id for c in cases))
        if baseline:
            store.record_cases(provider, (_snapshot(c, 1) for c in cases))
            return
        for case in cases:
            before = known.get(case.provider_id)
            if before is not None and (
                before.status == case.status.value
                and before.provider_status == case.provider_status
            ):
                continue
            after = _snapshot(case, before.version + 1 if before else 1)
            yield case_event(provider, case, before, after), _recorder(store, provider, after)

    async def _compare_payments(
        self, payments: AsyncIterable[Payment], baseline: bool
    ) -> AsyncIterator[tuple[CaseEvent, Callable[[], None]]]:
        store, provider = self._store, self.provider
        reported = store.payment_ids(provider)
        seen: set[str] = set()
        async for payment in payments:
            seen.add(payment.payment_id)
            if payment.payment_id in reported:
                continue
            if baseline:
                store.record_payment(provider, payment.payment_id, payment.case_id)
                continue

            def commit(payment: Payment = payment) -> None:
                store.record_payment(provider, payment.payment_id, payment.case_id)

            yield payment_event(provider, payment, EventType.PAYMENT_RECEIVED), commit
        for missing in sorted(reported - seen):  # the listing completed: these are gone
            gone = Payment(provider, missing, None, None, None)

            def forget(payment_id: str = missing) -> None:
                store.forget_payment(provider, payment_id)

            yield payment_event(provider, gone, EventType.PAYMENT_REVERSED), forget


def _snapshot(case: Case, version: int) -> CaseSnapshot:
    return CaseSnapshot(case.provider_id, case.status.value, case.provider_status, version)


def _recorder(store: SnapshotStore, provider: str, after: CaseSnapshot) -> Callable[[], None]:
    return lambda: store.record_case(provider, after)


def case_event(
    provider: str, case: Case, before: CaseSnapshot | None, after: CaseSnapshot
) -> CaseEvent:
    """The event for one case's difference from its snapshot (None: never seen)."""
    old = CaseStatus(before.status) if before is not None else None
    if before is None:
        kind = EventType.CREATED
    elif case.status.is_closed and not (old is not None and old.is_closed):
        kind = EventType.CLOSED
    else:
        kind = EventType.STATUS_CHANGED
    return CaseEvent(
        event_id=f"{provider}:sync:{case.provider_id}:{after.version}",
        provider=provider,
        event_type=kind,
        raw_type=f"sync.{kind.value}",
        occurred_at=case.updated_at or case.created_at,
        case_id=case.provider_id,
        creditor_reference=case.creditor_reference,
        old_status=old,
        new_status=case.status,
        old_provider_status=before.provider_status if before else None,
        new_provider_status=case.provider_status,
        close_reason=_close_reason(case) if kind is EventType.CLOSED else None,
        raw=case.raw,
    )


def _close_reason(case: Case) -> str | None:
    # Providers spell closings as "<lifecycle>:<reason>" (Debitura) or a bare status.
    label = case.provider_status or ""
    return label.split(":", 1)[1] if ":" in label else (label or None)


def payment_event(provider: str, payment: Payment, kind: EventType) -> CaseEvent:
    suffix = "" if kind is EventType.PAYMENT_RECEIVED else ":reversed"
    occurred = payment.date if isinstance(payment.date, dt.datetime) else None
    return CaseEvent(
        event_id=f"{provider}:payment:{payment.payment_id}{suffix}",
        provider=provider,
        event_type=kind,
        raw_type=f"sync.{kind.value}",
        occurred_at=occurred,
        case_id=payment.case_id,
        payment=payment,
        raw=payment.raw,
    )
