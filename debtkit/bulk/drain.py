"""Draining an import from a shared ledger: the one function any job runner calls.

`drain` claims batches of the import's pending debts, sends them exactly as `bulk_import`
does (the same sending and outcome rules: `debtkit.bulk.importer`), records the outcomes and
yields one `BulkResult` per debt it settled. It returns by itself once the import has
nothing left: no pending debt, and no debt held by another worker's live lease (while other
workers hold some, it waits, since their leases may expire; then it takes those debts over,
looking each up at the provider before sending it again). Run it in as many processes, on
as many hosts, as you like: each debt is claimed by one worker at a time.

A claim's lease is renewed in the background every third of `lease` while its batch is in
flight. `lease` must exceed the time one batch request can take (the client's timeouts and
budget waits), or a slow but live worker's debts are taken over: the claimer then looks
them up first, so the risk is a duplicate only if the slow request lands after that lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator

import attrs

from debtkit.bulk.importer import (
    BatchCreator,
    BulkResult,
    Outcome,
    _Item,
    _Run,
    _Settled,
)
from debtkit.bulk.journal import Account, Claim, SentState, Settlement, SharedLedger
from debtkit.bulk.ledger import LedgerState
from debtkit.conversion import converter
from debtkit.errors import ConfigurationError, LedgerError
from debtkit.model import Debt
from debtkit.plugin import ProviderClient
from debtkit.validation import CheckedDebt

__all__ = ["drain", "worker_name"]

logger = logging.getLogger("debtkit.bulk.drain")

_LOOK_UP_FIRST = {SentState.SENDING, SentState.AMBIGUOUS}
_SENT_STATE = {
    LedgerState.CREATED: SentState.CREATED,
    LedgerState.AMBIGUOUS: SentState.AMBIGUOUS,
    LedgerState.REJECTED: SentState.REJECTED,
    LedgerState.QUEUED: SentState.QUEUED,  # nothing left this time
    LedgerState.INVALID: SentState.QUEUED,  # refused by the client before any request
}


def worker_name() -> str:
    """Host, pid and a random suffix: shown in the ledger as who holds a claim."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class _Sender(_Run):
    """The importer's sending and outcome rules, without its SQLite ledger (`send`/`admit`
    are not used here)."""

    def __init__(self, client: ProviderClient) -> None:
        super().__init__(client, None)  # type: ignore[arg-type]  # no journal: never used


def _item(claim: Claim) -> _Item:
    look_up = claim.sent_state in _LOOK_UP_FIRST
    # The ledger's JSON is debtkit's own canonical output of a checked debt: structured
    # without the unknown-field walk `debt_from_json` does for untrusted input.
    debt = converter.structure(json.loads(claim.debt_json), Debt)
    # Unstamped: this process has not checked it, so the client's create checks it (once).
    checked = CheckedDebt(debt, ())
    return _Item(claim.position, checked, claim.content_hash, look_up, claim.sent_at or 0.0)


def _pair(settled: _Settled) -> tuple[Settlement, BulkResult]:
    (_ref, _digest, state, provider_id, _error), result = settled
    settlement = Settlement(
        result.index, result.outcome.value, _SENT_STATE.get(state), provider_id,
        result.error, result.error_type, result.problems,
    )  # fmt: skip
    return settlement, result


class _Batch:
    def __init__(self, sender: _Sender, ledger: SharedLedger, import_id: str) -> None:
        self.sender = sender
        self.ledger = ledger
        self.import_id = import_id

    async def run(self, token: str, claims: list[Claim]) -> list[BulkResult]:
        """Settle what is known, look up what may exist, send the rest; record it all."""
        settled: list[tuple[Settlement, BulkResult]] = []
        busy = [c.position for c in claims if c.busy]
        lines = {c.position: c.line for c in claims}
        to_look_up: list[tuple[Claim, _Item]] = []
        to_send: list[tuple[Claim, _Item]] = []
        for claim in claims:
            if claim.busy:
                continue
            if claim.sent_state is SentState.CREATED:
                settled.append(_known(claim))
            elif claim.sent_state in _LOOK_UP_FIRST:
                to_look_up.append((claim, _item(claim)))
            else:
                to_send.append((claim, _item(claim)))
        if to_look_up:
            by_position = {item.index: claim for claim, item in to_look_up}
            found = await self.sender._look_up_all([item for _, item in to_look_up])
            for item, result in found:
                if result is None:
                    to_send.append((by_position[item.index], item))
                else:
                    settled.append(_pair(result))
        if to_send:
            allowed = await self.ledger.mark_sending(
                self.import_id, token, [claim for claim, _ in to_send]
            )
            busy += [claim.position for claim, _ in to_send if claim.position not in allowed]
            items = [item for claim, item in to_send if claim.position in allowed]
            if isinstance(self.sender.client, BatchCreator) and len(items) > 1:
                settled += map(_pair, await self.sender._send_batch(items))
            else:
                sent = await asyncio.gather(*(self.sender._send_one(item) for item in items))
                settled += map(_pair, sent)
        await self.ledger.release(self.import_id, token, busy)
        settlements = [settlement for settlement, _ in settled]
        recorded = await self.ledger.settle(self.import_id, token, settlements)
        if len(recorded) < len(settlements):  # our lease expired and another worker took over
            logger.warning(
                "%s: %d of %d outcomes not recorded: another worker took the claim over",
                self.sender.provider, len(settlements) - len(recorded), len(settlements),
            )  # fmt: skip
        # Only what was recorded: the worker that took a debt over reports that one.
        return [
            attrs.evolve(result, line=lines[result.index])
            for _, result in settled
            if result.index in recorded
        ]


def _known(claim: Claim) -> tuple[Settlement, BulkResult]:
    """A reference the account already has created (by this import or an earlier one)."""
    if claim.sent_hash == claim.content_hash:
        outcome, error = Outcome.ALREADY_CREATED, None
    else:
        outcome, error = Outcome.CHANGED, "content differs from the debt already sent"
    settlement = Settlement(claim.position, outcome.value, None, claim.sent_provider_id, error)
    result = BulkResult(
        claim.position, claim.reference, outcome, claim.sent_provider_id, error=error
    )
    return settlement, result


async def drain(
    client: ProviderClient,
    ledger: SharedLedger,
    import_id: str,
    *,
    account: Account | None = None,
    batch_size: int = 1000,
    concurrency: int = 4,
    lease: float = 60.0,
    poll: float = 1.0,
    worker: str | None = None,
) -> AsyncIterator[BulkResult]:
    """Yield one `BulkResult` per debt this worker settled, until the import is done.

    `account` (see `debtkit.bulk.journal.account_key`), when given, must be the import's:
    a worker holding another account's credentials is refused before anything is sent.
    Without it, only the provider is checked. Batch clients: `concurrency` batch requests in
    flight at once, each of up to `batch_size` claimed debts. Other clients: `concurrency`
    single requests in flight, claimed in two groups so that claiming and recording overlap
    with sending (a few ledger operations per group, not per debt).
    """
    info = await ledger.import_info(import_id)
    if info.account.provider != client.provider or (account and account != info.account):
        raise ConfigurationError(
            f"import {import_id!r} belongs to another provider account"
            f" ({info.account.provider} {info.account.key}): connect with its credentials"
        )
    name = worker or worker_name()
    if isinstance(client, BatchCreator):
        size, loops = batch_size, concurrency
    else:
        size, loops = max(min(batch_size, concurrency // 2), 1), min(concurrency, 2)
    batch = _Batch(_Sender(client), ledger, import_id)
    held: set[str] = set()
    results: asyncio.Queue[list[BulkResult] | BaseException | None] = asyncio.Queue(
        maxsize=concurrency * 2
    )

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease / 3)
            for token in list(held):
                try:
                    await ledger.renew(import_id, token, lease)
                except LedgerError as exc:  # the batch's own writes will fail or be fenced
                    logger.warning("renewing a lease failed: %s", exc)

    async def work() -> None:
        while True:
            token, claims = await ledger.claim(import_id, name, size, lease)
            if not claims:
                progress = await ledger.progress(import_id)
                if progress.pending == 0:
                    return
                wait = progress.seconds_to_next_expiry
                await asyncio.sleep(min(poll, wait + 0.05) if wait is not None else poll)
                continue
            held.add(token)
            try:
                await results.put(await batch.run(token, claims))
            finally:
                held.discard(token)

    async def pipeline() -> None:
        try:
            await asyncio.gather(*(work() for _ in range(loops)))
        except Exception as exc:  # a ledger failure: surface it to the caller
            await results.put(exc)
            return
        await results.put(None)

    renewer = asyncio.ensure_future(renew())
    runner = asyncio.ensure_future(pipeline())
    try:
        while (news := await results.get()) is not None:
            if isinstance(news, BaseException):
                raise news
            for result in news:
                yield result
    finally:
        for task in (runner, renewer):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(runner, renewer, return_exceptions=True)
