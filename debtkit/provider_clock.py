"""The provider's clock as seen from here, learnt from the ``Date`` header of its answers.

Why: a provider without idempotency keys (GetBill) is asked "which of these debts exist?"
with a listing bounded by creation time, and those times are stamped by the provider's clock.
The local clock may be minutes or hours off; bounding the listing by it either misses debts
that landed (a duplicate on resend) or lists far too much (reads). So the bounds come from
the provider's own answers.

An answer's ``Date`` (whole seconds, RFC 9110) was stamped while the request was at the
provider: between the local instants `sent` and `received`, at a provider time in
``[D, D + 1)``. Both clocks tick at the same rate, so at any local instant ``t`` the
provider's time lies in ``[t + (D - received), t + (D + 1 - sent)]``. The newest answer's
bounds are kept (an older one would hide a step of either clock). `skew` widens both bounds:
the clock that stamps ``Date`` (a web server, a gateway) and the one that stamps the records
(the application) are not the same clock.

Before any answer with a ``Date`` was seen, the local wall clock stands in for the lower
bound, `unknown_skew` (5 minutes) earlier, and there is no upper bound.

Written by hand: no library keeps bounds on a remote clock from HTTP dates, and this is a few
lines over `email.utils`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from collections.abc import Callable

__all__ = ["DEFAULT_IN_FLIGHT", "DEFAULT_SKEW", "ProviderClock"]

DEFAULT_SKEW = 5.0  # seconds the provider's own clocks may disagree (Date versus records)
DEFAULT_IN_FLIGHT = 60.0  # seconds a request whose client has gone may still take effect
UNKNOWN_SKEW = 300.0  # how far before the local clock a lower bound starts, unobserved


class ProviderClock:
    """Bounds on the provider's time at local instants (`now()`, monotonic seconds).

    `in_flight` is how long after its client saw it fail without an answer a request may still
    take effect at the provider (a gateway timed out, a connection dropped while the work went
    on); providers rarely document it, so the default (60 s) is a safe reading, not a fact.
    """

    def __init__(
        self,
        *,
        skew: float = DEFAULT_SKEW,
        in_flight: float = DEFAULT_IN_FLIGHT,
        unknown_skew: float = UNKNOWN_SKEW,
        local: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.skew = skew
        self.in_flight = in_flight
        self.unknown_skew = unknown_skew
        self._local = local
        self._wall = wall
        self._offset: tuple[float, float] | None = None  # provider epoch minus local, bounds
        self._last_date: tuple[str, float] | None = None  # parsed once per distinct header

    def __repr__(self) -> str:
        return f"ProviderClock(skew={self.skew}, in_flight={self.in_flight}, known={self.known})"

    def now(self) -> float:
        """The local instant (monotonic seconds) the bounds are asked about."""
        return self._local()

    @property
    def known(self) -> bool:
        """Has an answer with a readable ``Date`` been seen?"""
        return self._offset is not None

    def observe(self, date: str | None, *, sent: float, received: float) -> None:
        """Learn from an answer's ``Date`` header, sent and received at these local instants.
        An absent or unreadable header teaches nothing."""
        if not date:
            return
        if self._last_date is not None and self._last_date[0] == date:
            stamped = self._last_date[1]
        else:
            try:
                when = email.utils.parsedate_to_datetime(date)
            except (TypeError, ValueError, IndexError):
                return
            if when.tzinfo is None:  # RFC 9110 dates are GMT; anything else is not one
                return
            stamped = when.timestamp()
            self._last_date = (date, stamped)
        self._offset = (stamped - received, stamped + 1.0 - min(sent, received))

    def earliest(self, at: float) -> dt.datetime:
        """The earliest the provider's records can be stamped at local instant `at`."""
        if self._offset is None:
            epoch = self._wall() - (self._local() - at) - self.unknown_skew
        else:
            epoch = at + self._offset[0] - self.skew
        return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)

    def latest(self, at: float) -> dt.datetime | None:
        """The latest the provider's records can be stamped at local instant `at`; None before
        any answer was seen."""
        if self._offset is None:
            return None
        return dt.datetime.fromtimestamp(at + self._offset[1] + self.skew, dt.timezone.utc)

    def gone_by(self, failed_at: float, listed_at: float) -> bool:
        """Had a request that failed without an answer at local instant `failed_at` surely
        stopped taking effect when a listing started at `listed_at`?

        On the provider's clock: the listing's earliest time is past the failure's latest time
        plus `in_flight`. Before any ``Date`` was seen, local elapsed time stands in (an
        interval is the same length on both clocks).
        """
        latest = self.latest(failed_at)
        if latest is None:
            return listed_at - failed_at >= self.in_flight
        return self.earliest(listed_at) >= latest + dt.timedelta(seconds=self.in_flight)
