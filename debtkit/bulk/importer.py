"""Bulk import: any (async) iterable of debts in, one result per debt out, never raising halfway.

Per debt: validate locally, consult the ledger, then skip it (already created), look it up
(an earlier run died while it was in flight), or send it. Clients offering `create_batch`
get batches (GetBill: up to 1,000 debts per request); others get concurrent single creates,
all inside the client's rate budget. Memory stays flat: input is read only as fast as work
drains, and what has been seen lives in the SQLite ledger, not in RAM.

Ledger states through one run: ``queued`` when admitted, ``sending`` just before the request,
then ``created``, ``rejected``, ``invalid`` or ``ambiguous``. A rerun sends ``queued``
entries of a dead run directly (nothing left), looks ``sending`` and ``ambiguous`` ones up
first, and skips ``created`` ones.

Outcomes are classified by the error's type: ``invalid`` only for `ValidationError`, which
clients raise only when they refuse a debt before any request; anything that failed after
the request went out without a usable answer (no answer, a 5xx, a 2xx whose body cannot be
read: `MalformedResponseError`) is ``ambiguous`` and looked up before any resend.

Exactly once here rests on the ledger: a reference the ledger knows is never sent twice, and
in-flight ones are looked up first. A reference it does not know is sent without a lookup,
singly or in a batch: a read per debt would double the cost of an import (batches would pay a
thousand reads per request), and clients that look references up before creating
(`ReferenceCheckingCreator`, GetBill) are told not to, so no debt costs two reads. References
created outside this ledger are the caller's to reconcile before importing.

A batch whose answer is lost is settled in the background when the client allows it (GetBill:
`debtkit.bulk.settle`), so the pipeline keeps sending meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import tempfile
import uuid
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Collection,
    Iterable,
    Sequence,
)
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol, cast, runtime_checkable

import attrs

from debtkit.bulk.ledger import Ledger, LedgerState, content_hash
from debtkit.bulk.settle import ClockedFinder, Outcomes, Settler
from debtkit.errors import (
    AmbiguousWriteError,
    APIStatusError,
    ConfigurationError,
    DebtkitError,
    DuplicateError,
    MalformedResponseError,
    Problem,
    ValidationError,
)
from debtkit.exactly_once import is_ambiguous, was_sent
from debtkit.files import Row
from debtkit.model import Case, Debt
from debtkit.plugin import ItemResult, ProviderClient
from debtkit.validation import CheckedDebt

__all__ = [
    "BatchCreator",
    "BulkFinder",
    "BulkResult",
    "CheckedDebtCreator",
    "Outcome",
    "Progress",
    "ReferenceCheckingCreator",
    "bulk_import",
]

logger = logging.getLogger("debtkit.bulk")

_IN_FLIGHT = {LedgerState.SENDING, LedgerState.AMBIGUOUS}


class Outcome(str, enum.Enum):
    CREATED = "created"
    ALREADY_CREATED = "already_created"  # an earlier run, or the provider, already had it
    INVALID = "invalid"  # refused locally, not sent
    REJECTED = "rejected"  # refused by the provider (a 4xx: it did not take the debt)
    AMBIGUOUS = "ambiguous"  # may or may not exist (no answer, or a 5xx): a rerun looks it up
    CHANGED = "changed"  # same reference, other content than what was sent before
    DUPLICATE = "duplicate"  # the same reference appears earlier in this input
    NOT_SENT = "not_sent"  # never reached the provider (no connection): a rerun sends it

    @property
    def ok(self) -> bool:
        return self in {Outcome.CREATED, Outcome.ALREADY_CREATED}


@attrs.frozen
class BulkResult:
    index: int  # 0-based position in the input
    creditor_reference: str | None
    outcome: Outcome
    provider_id: str | None = None
    case: Case | None = None
    problems: tuple[Problem, ...] = ()
    error: str | None = None  # the typed error's summary: no credentials, no personal data
    error_type: str | None = None
    line: int | None = None  # 1-based input line, when the input was a `Row` of a file


@attrs.frozen
class Progress:
    done: int
    created: int  # created now or already before
    failed: int
    queued: int  # admitted for sending, not yet settled


@runtime_checkable
class BatchCreator(Protocol):
    async def create_batch(self, debts: Sequence[Debt]) -> list[ItemResult]: ...


@runtime_checkable
class BulkFinder(Protocol):
    """A client that can look many debts up at once (GetBill: one listing by creation time)."""

    async def find_many(
        self, creditor_references: Collection[str], *, since: dt.datetime
    ) -> dict[str, Case]: ...


@runtime_checkable
class CheckedDebtCreator(Protocol):
    """A client whose `create` (and `create_batch`) take the `CheckedDebt` its own `check`
    returned without checking it again, and check anything else as before. Such a client is
    handed the debts as admitted, so each debt is validated once per import."""

    accepts_checked: bool


@runtime_checkable
class ReferenceCheckingCreator(Protocol):
    """A client whose `create` looks the reference up before sending (GetBill, which does not
    deduplicate), and skips that read with ``check_existing=False``."""

    checks_existing: bool

    async def create(self, debt: Debt, *, check_existing: bool = True) -> Case: ...


@attrs.frozen
class _Item:
    index: int
    checked: CheckedDebt  # as admitted: valid, normalised, stamped by the client's validator
    digest: str
    look_up_first: bool  # an earlier run may have created it
    sent_at: float = 0.0  # when that earlier run marked it in flight (epoch seconds)

    @property
    def debt(self) -> Debt:
        return self.checked.debt

    @property
    def ref(self) -> str:
        return self.debt.creditor_reference


def _failure(index: int, ref: str | None, outcome: Outcome, error: BaseException) -> BulkResult:
    problems = error.problems if isinstance(error, (ValidationError, APIStatusError)) else ()
    return BulkResult(
        index, ref, outcome, problems=problems, error=str(error), error_type=type(error).__name__
    )


_Settled = tuple[tuple[str, str, LedgerState, str | None, str | None], BulkResult]


class _Run:
    def __init__(self, client: ProviderClient, ledger: Ledger) -> None:
        self.client = client
        self.ledger = ledger
        self.provider = client.provider
        self.run_id = uuid.uuid4().hex
        # What `create`/`create_batch` are handed: the admitted `CheckedDebt` where the client
        # takes it (not validated twice), else the normalised debt (validated again there).
        self.takes_checked = (
            isinstance(client, CheckedDebtCreator) and client.accepts_checked is True
        )
        # Ledger writes of admitted debts, written in one transaction per batch (`flush`),
        # and what they will say: a reference met in this run (digest as the ledger has it).
        self._records: list[tuple[str, str, LedgerState, str | None, str | None]] = []
        self._claims: list[str] = []
        self._met: dict[str, str] = {}
        self.settler: Settler[_Item] | None = None  # settles lost batches apart (GetBill)

    def _record(self, ref: str, digest: str, state: LedgerState) -> None:
        self._records.append((ref, digest, state, None, None))
        self._met[ref] = digest

    def _claim(self, ref: str, digest: str) -> None:
        self._claims.append(ref)
        self._met[ref] = digest

    def flush(self, at_least: int = 0) -> None:
        """Write the admitted debts' ledger rows, if at least `at_least` are waiting. Called
        before a batch goes out, so its ``queued`` rows precede its ``sending`` ones. Losing
        unwritten ones in a crash is harmless: a rerun finds those debts unsent and sends them,
        as it would send ``queued`` ones."""
        if len(self._met) >= max(at_least, 1):
            self.ledger.record(self.provider, self._records, self.run_id, claimed=self._claims)
            self._records, self._claims, self._met = [], [], {}

    def admit(self, index: int, entry: Debt | Row) -> BulkResult | _Item:
        """Validate and consult the ledger: a final result, or an item to send."""
        if isinstance(entry, Row):
            if entry.debt is None:
                return BulkResult(index, None, Outcome.INVALID, problems=entry.problems)
            entry = entry.debt
        ref = entry.creditor_reference
        checked = self.client.check(entry)
        digest = content_hash(checked.debt)
        if ref in self._met:  # earlier in this run, not written yet
            outcome = Outcome.DUPLICATE if self._met[ref] == digest else Outcome.CHANGED
            return BulkResult(index, ref, outcome, error="reference appears earlier in input")
        previous = self.ledger.get(self.provider, ref)
        if previous is not None:
            if previous.run_id == self.run_id:
                outcome = Outcome.DUPLICATE if previous.content_hash == digest else Outcome.CHANGED
                return BulkResult(index, ref, outcome, error="reference appears earlier in input")
            sent = previous.state in _IN_FLIGHT or previous.state is LedgerState.CREATED
            if sent and previous.content_hash != digest:
                self._claim(ref, previous.content_hash)
                return BulkResult(
                    index, ref, Outcome.CHANGED, previous.provider_id,
                    error="content differs from the debt already sent under this reference",
                )  # fmt: skip
            if previous.state is LedgerState.CREATED:
                self._claim(ref, previous.content_hash)
                return BulkResult(index, ref, Outcome.ALREADY_CREATED, previous.provider_id)
        if checked.problems:
            self._record(ref, digest, LedgerState.INVALID)
            return BulkResult(index, ref, Outcome.INVALID, problems=checked.problems)
        if previous is not None and previous.state in _IN_FLIGHT:
            self._claim(ref, previous.content_hash)  # keep the in-flight state
            return _Item(index, checked, digest, True, previous.updated_at)
        self._record(ref, digest, LedgerState.QUEUED)
        # A rebuilt ledger cannot tell whether the lost one's run created a debt it has not
        # seen looked up (new, queued, or refused locally before any lookup): look it up
        # first, over the provider's whole history (sent_at 0).
        unseen = previous is None or previous.state in (LedgerState.QUEUED, LedgerState.INVALID)
        return _Item(index, checked, digest, unseen and self.ledger.rebuilt_after_loss)

    async def send(self, items: list[_Item]) -> list[BulkResult]:
        settled: list[_Settled] = []
        to_send = [item for item in items if not item.look_up_first]
        for item, found in await self._look_up_all([i for i in items if i.look_up_first]):
            if found is None:
                to_send.append(item)
            else:
                settled.append(found)
        if to_send:
            self.ledger.record(
                self.provider, [(i.ref, i.digest, LedgerState.SENDING, None, None) for i in to_send]
            )
            if isinstance(self.client, BatchCreator) and len(to_send) > 1:
                settled += await self._send_batch(to_send)
            else:
                settled += [await self._send_one(item) for item in to_send]
        self.ledger.record(self.provider, [record for record, _ in settled])
        return [result for _, result in settled]

    async def _look_up_all(self, items: list[_Item]) -> list[tuple[_Item, _Settled | None]]:
        if len(items) > 1 and isinstance(self.client, BulkFinder):
            since = dt.datetime.fromtimestamp(min(i.sent_at for i in items), dt.timezone.utc)
            try:
                found = await self.client.find_many([i.ref for i in items], since=since)
            except DebtkitError as exc:
                reason = f"lookup failed: {exc}"
                return [
                    (i, self._settle(i, None, AmbiguousWriteError(self.provider, [i.ref], reason)))
                    for i in items
                ]
            return [
                (i, self._settle(i, found[i.ref], None, already=True) if i.ref in found else None)
                for i in items
            ]
        return [(item, await self._look_up(item)) for item in items]

    async def _look_up(self, item: _Item) -> _Settled | None:
        try:
            case = await self.client.find(item.ref)
        except DebtkitError as exc:
            ambiguous = AmbiguousWriteError(self.provider, [item.ref], f"lookup failed: {exc}")
            return self._settle(item, None, ambiguous)
        return None if case is None else self._settle(item, case, None, already=True)

    def conclude(self, outcomes: Outcomes[_Item]) -> list[BulkResult]:
        """Record and report what the settler settled."""
        settled = [self._settle(item, case, error) for item, case, error in outcomes]
        self.ledger.record(self.provider, [record for record, _ in settled])
        return [result for _, result in settled]

    async def _send_batch(self, items: list[_Item]) -> list[_Settled]:
        assert isinstance(self.client, BatchCreator)
        settler, sent_at = self.settler, self.settler.now() if self.settler else 0.0
        given = [self._given(item) for item in items]
        try:
            if settler is not None:  # a lost batch goes to the settler, unsettled
                results = await settler.client.create_batch(given, settle_lost=False)
            else:
                results = await self.client.create_batch(given)
        except DebtkitError as exc:
            logger.warning("%s: batch of %d failed: %s", self.provider, len(items), exc)
            if not is_ambiguous(exc) and not isinstance(exc, AmbiguousWriteError):
                # The one request was refused or never left: so was every debt in it.
                return [self._settle(item, None, exc) for item in items]
            results = []
        by_position = {result.index: result for result in results}
        settled = []
        lost: dict[int, tuple[DebtkitError, list[_Item]]] = {}  # by chunk error
        for position, item in enumerate(items):
            result = by_position.get(position)
            if result is None:
                missing = AmbiguousWriteError(self.provider, [item.ref], "no result for this item")
                settled.append(self._settle(item, None, missing))
            elif settler is not None and result.error is not None and is_ambiguous(result.error):
                lost.setdefault(id(result.error), (result.error, []))[1].append(item)
            else:
                settled.append(self._settle(item, result.case, result.error))
        for error, chunk in lost.values():
            assert settler is not None
            await settler.submit(chunk, sent_at=sent_at, error=error)
        return settled

    def _given(self, item: _Item) -> Debt:
        # A `CheckedDebtCreator` takes the CheckedDebt where its signature says Debt.
        return cast(Debt, item.checked) if self.takes_checked else item.debt

    async def _create(self, item: _Item) -> Case:
        if isinstance(self.client, ReferenceCheckingCreator):  # the ledger stands in for it
            return await self.client.create(self._given(item), check_existing=False)
        return await self.client.create(self._given(item))

    async def _send_one(self, item: _Item) -> _Settled:
        try:
            return self._settle(item, await self._create(item), None)
        except DuplicateError as exc:
            # It exists already (an earlier import without this ledger): adopt it if found.
            if isinstance(exc.existing, Case):
                return self._settle(item, exc.existing, None, already=True)
            found = await self._look_up(item)
            return found if found is not None else self._settle(item, None, exc)
        except DebtkitError as exc:
            return self._settle(item, None, exc)
        except Exception as exc:  # a bug must not lose the debt: keep it for reconciliation
            logger.exception("%s: unexpected failure creating a debt", self.provider)
            reason = f"unexpected {type(exc).__name__}"
            return self._settle(item, None, AmbiguousWriteError(self.provider, [item.ref], reason))

    def _settle(
        self, item: _Item, case: Case | None, error: DebtkitError | None, *, already: bool = False
    ) -> _Settled:
        if case is not None:
            outcome = Outcome.ALREADY_CREATED if already else Outcome.CREATED
            return (item.ref, item.digest, LedgerState.CREATED, case.provider_id, None), BulkResult(
                item.index, item.ref, outcome, case.provider_id, case
            )
        if isinstance(error, MalformedResponseError):  # sent, and the answer was unreadable
            state, outcome = LedgerState.AMBIGUOUS, Outcome.AMBIGUOUS
        elif isinstance(error, ValidationError):  # refused locally: nothing was sent
            state, outcome = LedgerState.INVALID, Outcome.INVALID
        elif error is not None and not was_sent(error):  # no connection, no credentials
            # Nothing left this time; one an earlier run may have sent stays to be looked up.
            state = LedgerState.AMBIGUOUS if item.look_up_first else LedgerState.QUEUED
            outcome = Outcome.NOT_SENT
        elif isinstance(error, APIStatusError) and not is_ambiguous(error):
            state, outcome = LedgerState.REJECTED, Outcome.REJECTED
        else:  # ambiguous writes, transport failures, 5xx, missing results: it may exist
            state, outcome = LedgerState.AMBIGUOUS, Outcome.AMBIGUOUS
            error = error or AmbiguousWriteError(self.provider, [item.ref], "no outcome")
        record = (item.ref, item.digest, state, None, str(error))
        return record, _failure(item.index, item.ref, outcome, error)


async def _entries(
    debts: Iterable[Debt | Row] | AsyncIterable[Debt | Row],
) -> AsyncIterator[Debt | Row]:
    if isinstance(debts, AsyncIterable):
        async for entry in debts:
            yield entry
    else:
        for entry in debts:
            yield entry


async def bulk_import(
    client: ProviderClient,
    debts: Iterable[Debt | Row] | AsyncIterable[Debt | Row],
    *,
    ledger: Ledger | str | Path | None = None,
    batch_size: int = 1000,
    concurrency: int = 8,
    on_progress: Callable[[Progress], None] | None = None,
    ledger_lost: bool = False,
) -> AsyncIterator[BulkResult]:
    """Yield one `BulkResult` per input debt as each settles, carrying its input index (and
    its file line, for a `Row`).

    `ledger` is a `Ledger`, a path to one (created if missing), or None for a throwaway
    ledger that only deduplicates within this run. Rerunning with the same ledger resumes.
    A path is opened strictly (see `debtkit.bulk.ledger`): a damaged ledger, one held by another
    process, or one an earlier run used that is now gone raises a `LedgerError` before
    anything is sent. `ledger_lost=True` accepts a lost ledger: it is rebuilt, and every
    debt it has not seen is looked up at the provider before being sent.
    """
    with ExitStack() as stack:
        if not isinstance(ledger, Ledger):
            if ledger is None:
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="debtkit-"))
                ledger = Path(folder) / "ledger.sqlite"
            ledger = stack.enter_context(Ledger(ledger, ledger_lost=ledger_lost))
        elif ledger_lost:
            raise ConfigurationError("ledger_lost applies when opening: pass it to Ledger()")
        run = _Run(client, ledger)
        size = batch_size if isinstance(client, BatchCreator) else 1
        # Admitted work waiting for a sender: a few single debts per sender, but only two
        # whole batches (a batch of 1,000 debts weighs megabytes; the senders hold theirs).
        waiting = concurrency * 2 if size == 1 else 2
        work: asyncio.Queue[list[_Item] | None] = asyncio.Queue(maxsize=waiting)
        settled: asyncio.Queue[tuple[int, list[BulkResult]] | BaseException | None] = asyncio.Queue(
            maxsize=concurrency * 4
        )
        queued = 0
        # Input line of each admitted Row until its result is yielded: bounded like the
        # results in flight, by the queues above.
        lines: dict[int, int] = {}

        async def report(results: list[BulkResult]) -> None:
            await settled.put((len(results), results))

        async def resend(items: list[_Item]) -> None:  # a listing showed them absent
            await report(await run.send([attrs.evolve(i, look_up_first=False) for i in items]))

        async def conclude(outcomes: Outcomes[_Item]) -> None:
            await report(run.conclude(outcomes))

        if size > 1 and isinstance(client, ClockedFinder):  # see debtkit.bulk.settle
            run.settler = Settler[_Item](
                client, reference=lambda item: item.ref, report=conclude, resend=resend,
                max_waiting=max(size * concurrency, 1000),
            )  # fmt: skip

        async def produce() -> None:
            nonlocal queued
            batch: list[_Item] = []
            index = -1
            async for entry in _entries(debts):
                index += 1
                if isinstance(entry, Row):
                    lines[index] = entry.line
                admitted = run.admit(index, entry)
                if isinstance(admitted, BulkResult):
                    run.flush(at_least=size)  # bounded, even when nothing is to be sent
                    await settled.put((0, [admitted]))
                    continue
                batch.append(admitted)
                queued += 1
                if len(batch) >= size:
                    run.flush()
                    await work.put(batch)
                    batch = []
            run.flush()
            if batch:
                await work.put(batch)
            for _ in range(concurrency):
                await work.put(None)

        async def consume() -> None:
            while (items := await work.get()) is not None:
                if run.settler is not None:
                    await run.settler.room()
                await report(await run.send(items))  # lost batches' debts: by the settler

        async def pipeline() -> None:
            try:
                sending = asyncio.gather(produce(), *(consume() for _ in range(concurrency)))
                await (sending if run.settler is None else run.settler.alongside(sending))
            except Exception as exc:  # reading the input failed: surface it to the caller
                await settled.put(exc)
                return
            await settled.put(None)

        runner = asyncio.ensure_future(pipeline())
        done = created = failed = 0
        try:
            while (news := await settled.get()) is not None:
                if isinstance(news, BaseException):
                    raise news
                sent, results = news
                queued -= sent
                for result in results:
                    if result.index in lines:
                        result = attrs.evolve(result, line=lines.pop(result.index))
                    done += 1
                    created += result.outcome.ok
                    failed += not result.outcome.ok
                    yield result
                if on_progress is not None:
                    on_progress(Progress(done, created, failed, queued))
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
