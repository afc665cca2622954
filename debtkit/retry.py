"""When and how long to wait before trying a request again.

The transport re-sends only requests marked `retry_safe` (reads, PUT, DELETE, and POSTs the
provider deduplicates by idempotency key); a create without one is never re-sent blindly. Every
re-sent attempt passes the rate budget again, so retries spend budget like first attempts.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping

import attrs

from debtkit.errors import (
    APIStatusError,
    DebtkitError,
    RateLimitedError,
    RedirectError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
)

__all__ = ["DEFAULT_MAX_SERVER_WAIT", "NO_RETRY", "RetryPolicy", "retry_after_seconds"]

DEFAULT_MAX_SERVER_WAIT = 120.0  # seconds


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Errors keep headers in a plain dict, so look them up without regard to case.
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait a response asks for: `retry-after-ms`, else `Retry-After` as seconds or as an
    HTTP date; None when absent or unreadable. Never negative; a number too large for a float
    (``1e309``) is `math.inf`, a wait past any cap, not an unreadable one."""
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = math.nan
        if not math.isnan(value):
            return max(value, 0.0)
    raw = _header(headers, "retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            return None
        value = when.timestamp() - (time.time() if now is None else now)
    return None if math.isnan(value) else max(value, 0.0)


@attrs.frozen
class RetryPolicy:
    """`attempts` counts the first try; backoff doubles from `base` up to `cap`, with jitter.

    A server-requested wait (a 429's retry-after, or a `Retry-After` header on a 503) replaces
    the backoff and is honoured up to `max_server_wait` seconds; beyond that the error is raised
    (carrying the server's value) instead of sleeping for an hour. The shared rate budget caps
    its pauses the same way (`debtkit.budget.Budget`). `NO_RETRY` turns retries off.
    """

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0
    jitter: float = 0.5  # up to this fraction of each backoff is randomly shaved off
    max_server_wait: float = DEFAULT_MAX_SERVER_WAIT

    def __attrs_post_init__(self) -> None:
        if self.attempts < 1 or self.base < 0 or self.cap < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy needs attempts >= 1, base, cap >= 0, 0 <= jitter <= 1")
        if not 0 <= self.max_server_wait < math.inf:
            raise ValueError("RetryPolicy needs a finite max_server_wait >= 0")

    @staticmethod
    def server_wait(error: DebtkitError, *, now: float | None = None) -> float | None:
        """The wait the server asked for: the adapter's reading first, then the headers."""
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            if math.isnan(error.retry_after):
                return None
            return max(error.retry_after, 0.0)
        if isinstance(error, APIStatusError):
            return retry_after_seconds(error.headers, now=now)
        return None

    def is_retryable(self, error: DebtkitError) -> bool:
        if not isinstance(error, (RateLimitedError, TransportError, ServerError)):
            return False
        if isinstance(error, (ResponseTooLargeError, RedirectError)):
            return False  # the same answer would come back
        wait = self.server_wait(error)
        return wait is None or wait <= self.max_server_wait

    def delay(self, attempt: int, error: DebtkitError, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        wait = self.server_wait(error)
        if wait is not None:
            return min(wait, self.max_server_wait)
        backoff = min(self.base * 2.0 ** (attempt - 1), self.cap)
        draw = rng.random() if rng is not None else random.random()
        return backoff * (1 - self.jitter * draw)


NO_RETRY = RetryPolicy(attempts=1)
