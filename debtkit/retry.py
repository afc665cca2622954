"""When and how long to wait before trying a request again."""

from __future__ import annotations

import random

import attrs

from debtkit.errors import (
    DebtkitError,
    RateLimitedError,
    ServerError,
    TransportError,
)

__all__ = ["NO_RETRY", "RetryPolicy"]


@attrs.frozen
class RetryPolicy:
    """`attempts` counts the first try; backoff doubles from `base` up to `cap`, with jitter.

    A server-requested wait (429 retry-after) is honoured up to `max_server_wait` seconds;
    beyond that the error is raised instead of sleeping for an hour.
    """

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0
    jitter: float = 0.25  # up to this fraction of each backoff is randomly shaved off
    max_server_wait: float = 120.0

    def is_retryable(self, error: DebtkitError) -> bool:
        if isinstance(error, RateLimitedError):
            return error.retry_after is None or error.retry_after <= self.max_server_wait
        return isinstance(error, (TransportError, ServerError))

    def delay(self, attempt: int, error: DebtkitError, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return error.retry_after
        backoff = min(self.base * 2.0 ** (attempt - 1), self.cap)
        draw = rng.random() if rng is not None else random.random()
        return backoff * (1 - self.jitter * draw)


NO_RETRY = RetryPolicy(attempts=1)
