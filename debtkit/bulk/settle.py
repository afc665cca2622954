"""Settling lost batches in the background, so that a lost answer never stalls the writes.

A batch whose answer was lost (no answer, a 5xx, a 2xx that cannot be read) may or may not
have created its debts. `bulk_import` hands it to a `Settler` and goes on sending; the
settler looks every batch waiting at that moment up with ONE listing of the debts the
provider created since the earliest of their sends (`ClockedFinder.find_created`), bounded
on the provider's clock (`debtkit.provider_clock`), not the local one. Reads and writes are
separate budgets at GetBill: a listing spends reads while the pipeline spends writes.

What a listing tells, per debt of a lost batch:
- shown: it landed; its outcome is ``created``, as if the answer had arrived.
- not shown: resent (at most as often as the client's retry policy allows sends in all) only
  once no earlier send of it can still land, else it waits for a later listing. A send the
  provider answered (a 5xx other than a gateway's 502/504, or a 2xx that could not be read)
  had ended its work before the answer, so any listing started after the answer is final.
  A send without an answer (a timeout, a dropped connection, a gateway's 502/504) may still
  be at work: only a listing started, on the provider's clock, ``in_flight`` seconds after
  the latest time the failure can have happened there counts (`ProviderClock.gone_by`).
- the listing failed: the batch's debts are ``ambiguous`` (as before: a rerun looks them up).

Before any answer told the provider's clock, a listing is bounded by the local clock (5
minutes back); debts it did not show are listed again at once with the clock its answers
told, never resent on its word.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Generic, Protocol, TypeVar, runtime_checkable

import attrs

from debtkit.errors import AmbiguousWriteError, DebtkitError, MalformedResponseError, ServerError
from debtkit.model import Case, Debt
from debtkit.plugin import ItemResult
from debtkit.provider_clock import ProviderClock
from debtkit.transport import Transport

__all__ = ["ClockedFinder", "Settler", "answered"]

logger = logging.getLogger("debtkit.bulk.settle")

T = TypeVar("T")

# (item, the case it landed as, or the error it ends with)
Outcomes = list[tuple[T, Case | None, DebtkitError | None]]


@runtime_checkable
class ClockedFinder(Protocol):
    """A batch client whose lost batches can be settled apart from sending (GetBill)."""

    provider_clock: ProviderClock
    transport: Transport

    async def create_batch(
        self, debts: Sequence[Debt], *, settle_lost: bool = True
    ) -> list[ItemResult]: ...

    async def find_created(
        self, creditor_references: Collection[str], *, created_after: dt.datetime
    ) -> dict[str, Case]: ...


def answered(error: BaseException) -> bool:
    """Did the provider answer the failed send (so its work had ended)?"""
    if isinstance(error, MalformedResponseError):
        return True
    return isinstance(error, ServerError) and error.status not in (502, 504)


@attrs.define
class _Lost(Generic[T]):
    items: list[T]
    sent_at: float  # local instant before the batch went to the client (provider_clock.now)
    failed_at: float  # local instant its failure was seen
    answered: bool


class Settler(Generic[T]):
    """Settles lost batches of `T` (items named by `reference`) beside the sending pipeline.

    `report(outcomes)` records and yields settled items; `resend(items)` sends absent ones
    again through the pipeline's own path, which submits them here again if lost again.
    `submit` never waits; `room()` is where senders wait while `max_waiting` items are held.
    `run()` works until `close()` was called and nothing is left.
    """

    def __init__(
        self,
        client: ClockedFinder,
        *,
        reference: Callable[[T], str],
        report: Callable[[Outcomes[T]], Awaitable[None]],
        resend: Callable[[list[T]], Awaitable[None]],
        max_waiting: int,
    ) -> None:
        self.client = client
        self.clock = client.provider_clock
        self._reference = reference
        self._report = report
        self._resend = resend
        self._max_waiting = max(max_waiting, 1)
        self._attempts = max(client.transport.retry.attempts, 1)
        self._waiting: list[_Lost[T]] = []
        self._sends: dict[str, int] = {}  # sends so far of the references resent here
        self._changed = asyncio.Condition()
        self._closed = False

    def now(self) -> float:
        """The local instant to pass as `sent_at`: take it before the batch goes out."""
        return self.clock.now()

    def held(self) -> int:
        return sum(len(lost.items) for lost in self._waiting)

    async def submit(self, items: list[T], *, sent_at: float, error: BaseException) -> None:
        """A batch sent from `sent_at` on whose answer was lost with `error`; never waits."""
        self._waiting.append(_Lost(items, sent_at, self.clock.now(), answered(error)))
        async with self._changed:
            self._changed.notify_all()

    async def room(self) -> None:
        """Wait while `max_waiting` items are held: memory stays bounded if all is lost."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.held() < self._max_waiting)

    async def close(self) -> None:
        """No more batches will come; `run()` returns once the held ones are settled."""
        self._closed = True
        async with self._changed:
            self._changed.notify_all()

    async def alongside(self, sending: Awaitable[object]) -> None:
        """Run beside `sending` (the pipeline's senders) and until what it left is settled.
        If either fails, the other is cancelled and the error raised: what was held stays
        in flight in the ledger, for a rerun to look up."""
        settling = asyncio.ensure_future(self.run())
        senders = asyncio.ensure_future(sending)
        try:
            await asyncio.wait({senders, settling}, return_when=asyncio.FIRST_COMPLETED)
            if settling.done():  # it returns only once closed: it failed, raise that
                settling.result()
            await senders
            await self.close()
            await settling
        finally:
            for task in (senders, settling):
                task.cancel()
            await asyncio.gather(senders, settling, return_exceptions=True)

    async def run(self) -> None:
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self._waiting) or self._closed)
            if not self._waiting:
                return
            held = await self._list_once()
            async with self._changed:
                self._changed.notify_all()  # room for senders
            if held and len(self._waiting) == held:  # nothing new: wait out the in-flight time
                await self._pause(held)

    async def _list_once(self) -> int:
        """One listing for every batch waiting now; how many batches it had to hold back
        (debts it did not show, which may still be in flight)."""
        batches, self._waiting = self._waiting, []
        listed_at, guessed = self.clock.now(), not self.clock.known
        since = min(self.clock.earliest(lost.sent_at) for lost in batches)
        wanted = {self._reference(item) for lost in batches for item in lost.items}
        try:
            found = await self.client.find_created(wanted, created_after=since)
        except DebtkitError as exc:
            logger.warning("lookup of %d lost debts failed: %s", len(wanted), exc)
            await self._fail([i for lost in batches for i in lost.items], f"lookup failed: {exc}")
            return 0
        landed: Outcomes[T] = []
        to_resend: list[T] = []
        spent: list[T] = []
        held: list[_Lost[T]] = []
        for lost in batches:
            absent = []
            for item in lost.items:
                case = found.get(self._reference(item))
                if case is not None:
                    landed.append((item, case, None))
                else:
                    absent.append(item)
            if not absent:
                continue
            if guessed and self.clock.known:  # bounded by the local clock: list again by GetBill's
                self._waiting.append(_Lost(absent, lost.sent_at, lost.failed_at, lost.answered))
            elif lost.answered or self.clock.gone_by(lost.failed_at, listed_at):
                for item in absent:
                    sends = self._sends.get(self._reference(item), 1)
                    (to_resend if sends < self._attempts else spent).append(item)
            else:
                held.append(_Lost(absent, lost.sent_at, lost.failed_at, lost.answered))
        self._waiting = held + self._waiting  # batches lost meanwhile come after the held ones
        for item, _, _ in landed:
            self._sends.pop(self._reference(item), None)
        if landed:
            await self._report(landed)
        if spent:
            await self._fail(spent, "confirmed absent after the last send; nothing was created")
        if to_resend:
            for item in to_resend:
                reference = self._reference(item)
                self._sends[reference] = self._sends.get(reference, 1) + 1
            logger.info("resending %d debts a listing showed absent", len(to_resend))
            await self._resend(to_resend)
        return len(held)

    async def _fail(self, items: list[T], reason: str) -> None:
        for item in items:
            self._sends.pop(self._reference(item), None)
        provider = str(getattr(self.client, "provider", "provider"))
        await self._report(
            [(i, None, AmbiguousWriteError(provider, [self._reference(i)], reason)) for i in items]
        )

    async def _pause(self, held: int) -> None:
        """Until the first held batch may be final (`ProviderClock.gone_by`, which comes down
        to local elapsed time plus the width of the clock's bounds), or a new batch is lost."""
        failed_at = min(lost.failed_at for lost in self._waiting)
        latest = self.clock.latest(failed_at)
        width = 0.0 if latest is None else (latest - self.clock.earliest(failed_at)).total_seconds()
        wait = failed_at + self.clock.in_flight + width - self.clock.now() + 0.01
        if wait <= 0:
            return
        async with self._changed:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: len(self._waiting) > held), timeout=wait
                )
