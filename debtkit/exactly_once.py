"""Creating exactly once at a provider that has no idempotency key.

A create whose outcome is unknown (timeout, dropped connection, 5xx after the body was sent)
is never simply sent again: the debt is first looked up by the creditor's reference, and only
re-sent when it is truly absent. When the lookup itself cannot answer, the caller gets an
explicit `AmbiguousWriteError` naming the debts, never a silent duplicate.

A 2xx whose body cannot be read (`MalformedResponseError`) is ambiguous too: the request
reached the provider and may have taken effect.

A 429 is not ambiguous (the provider refused before doing anything) and is waited out; any
other 4xx is final. Nor is a request that never left: no connection was made
(`ConnectionNotMadeError`) or its credentials could not be obtained
(`CredentialsUnavailableError`); those are sent again, without a lookup, as the retry policy
allows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from debtkit.errors import (
    AmbiguousWriteError,
    CredentialsUnavailableError,
    DebtkitError,
    MalformedResponseError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from debtkit.retry import RetryPolicy

__all__ = ["create_exactly_once", "is_ambiguous", "was_sent"]

logger = logging.getLogger("debtkit.exactly_once")

T = TypeVar("T")
L = TypeVar("L")


def is_ambiguous(error: BaseException) -> bool:
    """Could the write have taken effect although it failed?"""
    if not was_sent(error):
        return False
    return isinstance(error, (TransportError, ServerError, MalformedResponseError))


def was_sent(error: BaseException) -> bool:
    """False when the request certainly never reached the provider's API."""
    if isinstance(error, CredentialsUnavailableError):
        return False
    return bool(getattr(error, "sent", True))


async def create_exactly_once(
    send: Callable[[], Awaitable[T]],
    look_up: Callable[[], Awaitable[L]] | None,
    settled: Callable[[L], T | None],
    *,
    provider: str,
    references: Sequence[str],
    retry: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`send()` until it succeeds; after each ambiguous failure, `look_up()` first.

    `settled(found)` turns what the lookup found into the result when the write did land
    (for a batch: only when every item landed; partial landings are the caller's to split
    before calling again). Returns the created result or raises the final error.
    `look_up=None` leaves an ambiguous failure to the caller: it is raised at once, unsettled
    (`debtkit.bulk.settle` settles lost batches apart from sending).
    """
    attempt = 1
    while True:
        try:
            return await send()
        except RateLimitedError as error:
            if attempt >= retry.attempts or not retry.is_retryable(error):
                raise
            await sleep(retry.delay(attempt, error))
        except DebtkitError as error:
            if not was_sent(error):  # nothing left: safe to send again, no lookup needed
                if attempt >= retry.attempts or not retry.is_retryable(error):
                    raise
                await sleep(retry.delay(attempt, error))
                attempt += 1
                continue
            if not is_ambiguous(error) or look_up is None:
                raise
            logger.debug("%s: create failed ambiguously (%s); looking it up", provider, error)
            try:
                found = settled(await look_up())
            except DebtkitError as lookup_error:
                raise AmbiguousWriteError(
                    provider,
                    references,
                    f"{type(error).__name__}, then the lookup failed: {lookup_error}",
                ) from error
            if found is not None:
                return found
            if attempt >= retry.attempts:
                raise  # confirmed absent: the last error stands, nothing was created
            await sleep(retry.delay(attempt, error))
        attempt += 1
