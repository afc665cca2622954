"""Where a rate budget keeps its books: which attempts hold a slot of which limit, and until when.

A `RateBook` answers one question atomically (may an attempt covered by these limits go now, and
if not, how long until it might) and learns from every finished attempt. `MemoryRateBook` keeps
the books in this process; `debtkit.budget.redis_books.RedisRateBook` keeps the same books in
Redis so that several processes share one budget. `debtkit.budget.Budget` queues callers in front of
either. The rules below hold for both:

- Sliding limit: an attempt holds its slot from admission until `window` after its answer came
  back. The server counted the request at some instant between sending and answering, so
  whichever instant it used, its window has closed before the slot is reused: the budget never
  exceeds the limit in any rolling window of the server's, whatever the latency. The cost is
  one round-trip per window (milliseconds per hour). An attempt never reported back is assumed
  over `open_ttl` seconds after it started.
- Fixed limit: an attempt counts in every aligned window its span [sent, answered] touches, and
  while in flight it counts against later windows too, since the server may place it there.
- Skew margin: every slot is held `skew_margin` × window longer (and fixed windows are entered
  that much later) to absorb clock drift and window bookkeeping we cannot see. 0.1% by default:
  3.6 s per hour, 60 ms per minute, a thousandth of the throughput.
- The server's word: an observation "limit L, remaining R" from the response to attempt r says
  the server held L - R units at some instant during r. Units it held beyond ours (answered and
  in flight) are foreign (another consumer of the account) and are reserved as phantoms until
  they must have left the server's window (a window after r's answer; for a fixed window, its
  reset). A lower count seen later does not release phantoms early: the other consumer is
  usually just between two requests, and taking its slot would make it, and then us, meet
  429s. So the most foreign units seen within a window stay reserved, plus `foreign_headroom`
  (1) spare unit while any are: another client's pace jitters, and its retries race ours for
  every slot the window lets go. Units that may be ours are reserved too, but only until the
  next observation: those our attempts in flight may account for (the server may not have
  counted them yet, and they hold slots here already), and, near the window's edge, attempts
  the server may have let go while we still hold them, hiding a foreign unit. Holding those a
  window would idle a slot per attempt in flight. A new L or window from the server replaces
  the configured one.
- Segments: a sliding limit counted in segments (`RateLimit.segment`) holds each slot until a
  window after the end of the segment that held its answer (plus the skew margin), since the
  server counts a request until its whole segment has left the window.
- Pause: a 429 stops admission on the limits that cover the rejected request until its
  retry-after, for every caller of the budget.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Protocol

import attrs

from debtkit.plugin import RateLimit, RateObservation

__all__ = [
    "DEFAULT_FOREIGN_HEADROOM",
    "DEFAULT_OPEN_TTL",
    "DEFAULT_SKEW_MARGIN",
    "LimitUsage",
    "MemoryRateBook",
    "RateBook",
    "Ticket",
]

DEFAULT_SKEW_MARGIN = 0.001  # fraction of each window
DEFAULT_OPEN_TTL = 120.0  # seconds; above the transport's default total timeout of 60 s
DEFAULT_FOREIGN_HEADROOM = 1  # units kept spare while another consumer is seen


@attrs.frozen
class Ticket:
    """One admitted attempt: handed back to the books when the attempt ends."""

    id: str
    start: float  # on the books's clock
    limits: tuple[int, ...]  # indexes into the books's limits


@attrs.frozen
class LimitUsage:
    """One limit as the books sees it right now."""

    name: str
    limit: int
    window: float
    in_use: int  # our attempts holding a slot
    foreign: int  # phantom slots reserved for another consumer of the account
    paused_for: float  # seconds until a 429 pause ends
    wait: float  # seconds until one more attempt could be admitted (inf: until one reports)

    @property
    def utilisation(self) -> float:
        return min((self.in_use + self.foreign) / self.limit, 1.0) if self.limit else 1.0


class RateBook(Protocol):
    """The books behind a `Budget`; `admit` is atomic, the rest must never block."""

    @property
    def limits(self) -> tuple[RateLimit, ...]:
        """The limits as currently known (the server may have replaced configured ones)."""
        ...

    async def admit(self, limit_ids: tuple[int, ...]) -> tuple[Ticket | None, float]:
        """Admit an attempt, or say how many seconds to wait before asking again."""
        ...

    def finish(
        self,
        ticket: Ticket | None,
        *,
        counted: bool,
        observations: Sequence[tuple[int, RateObservation]] = (),
        pause: tuple[tuple[int, ...], float] | None = None,
    ) -> None:
        """The attempt ended (`counted`: the server probably counted it); apply what it taught."""
        ...

    def release(self, ticket: Ticket) -> None:
        """An admitted attempt that was never sent gives its slot back."""
        ...

    def pause(self, limit_ids: tuple[int, ...], seconds: float) -> None: ...

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the books change in a way that may let a waiter in."""
        ...

    async def usage(self) -> tuple[LimitUsage, ...]: ...

    async def settle(self) -> None:
        """Wait until every update handed over so far has landed."""
        ...

    async def aclose(self) -> None: ...


@attrs.frozen
class _Phantoms:
    """Foreign units seen in one observation, reserved until `until`."""

    units: int
    until: float


_NO_EDGE = _Phantoms(0, -math.inf)


class _Book:
    """One limit's books. Subclasses define how a slot is held."""

    def __init__(self, rule: RateLimit, skew_margin: float, open_ttl: float) -> None:
        self.skew_margin = skew_margin
        self.rule = rule
        self.open_ttl = open_ttl
        self.foreign_headroom = DEFAULT_FOREIGN_HEADROOM
        self.paused_until = -math.inf
        # Only observations no other outlasts with as many units: sorted by `until`, with units
        # falling, so the first one still valid is the largest reservation.
        self.phantoms: list[_Phantoms] = []
        # Units the latest observation may hide at the window's edge; replaced by the next one.
        self.edge = _NO_EDGE
        self.open: dict[str, float] = {}  # ticket id -> start
        # The fast path: `room` more admissions surely fit before `room_until` (see
        # `MemoryRateBook.admit_now`); 0 sends the next admission down the full check.
        self.room = 0
        self.room_until = -math.inf

    @property
    def rule(self) -> RateLimit:
        return self._rule

    @rule.setter
    def rule(self, rule: RateLimit) -> None:
        # Plain attributes for what every admission reads (a property per read adds up).
        self._rule = rule
        self.room = 0
        self.limit = rule.limit
        self.window = rule.window
        self.margin = self.skew_margin * rule.window

    def foreign_at(self, t: float) -> int:
        seen = 0
        for phantoms in self.phantoms:  # the first one still valid is the largest
            if phantoms.until > t:
                seen = phantoms.units
                break
        return seen + (self.edge.units if self.edge.until > t else 0)

    def phantom_ends(self) -> list[float]:
        return [p.until for p in self.phantoms] + [self.edge.until]

    def reserve(self, fresh: _Phantoms) -> None:
        if any(p.units >= fresh.units and p.until >= fresh.until for p in self.phantoms):
            return
        kept = [p for p in self.phantoms if not (p.units <= fresh.units and p.until <= fresh.until)]
        self.phantoms = sorted([*kept, fresh], key=lambda p: p.until)

    def expire(self, now: float) -> None:
        if self.phantoms and self.phantoms[0].until <= now:  # sorted by `until`
            self.phantoms = [p for p in self.phantoms if p.until > now]
        if -math.inf < self.edge.until <= now:
            self.edge = _NO_EDGE
        # `open` is in admission order, so the overdue tickets are at its front.
        overdue = []
        for ticket_id, start in self.open.items():
            if start + self.open_ttl > now:
                break
            overdue.append((ticket_id, start))
        for ticket_id, start in overdue:
            self.close(ticket_id, start, start + self.open_ttl)

    def free_at(self, now: float) -> float:
        """The earliest time, as things stand, at which one more attempt fits (maybe now)."""
        if self.paused_until > now:
            return self.paused_until
        if self.in_use(now) + self.foreign_at(now) < self.limit:
            return now
        times, count_at = self.projection(now)
        for t in times:
            if t >= now and count_at(t) < self.limit:
                return t
        return math.inf

    def measure_room(self, now: float) -> None:
        """Set `room` and `room_until` after a full check at `now` found room. Until then the
        count can only fall: answers move a slot from open to closed, expiry and phantoms
        only release. What can raise it (observations, pauses, new rules) resets `room`."""
        self.room = self.limit - self.in_use(now) - self.foreign_at(now)
        # Re-checked at least 100 times per window, so expiry keeps the books small.
        self.room_until = now + self.window / 100

    def observe(self, obs: RateObservation, ticket: Ticket, end: float, counted: bool) -> None:
        self.room = 0
        if obs.limit is not None and obs.limit > 0 and obs.limit != self.rule.limit:
            self.rule = attrs.evolve(self.rule, limit=obs.limit)
        if obs.window and not math.isclose(obs.window, self.rule.window, rel_tol=1e-9):
            self.rule = attrs.evolve(self.rule, window=obs.window)
        if obs.remaining is None:
            return
        used = self.rule.limit - obs.remaining
        ours, ours_inside, in_flight = self.ours_counted(ticket, end, counted)
        until = self.phantoms_until(obs, end)
        # Foreign for sure even if the server had counted every attempt of ours in flight:
        # kept a window. The rest may be ours in flight (already holding slots here) or at
        # the window's edge: kept only until the next observation, which sees them answered.
        units = max(used - ours - in_flight, 0)
        if units:
            self.reserve(_Phantoms(units + self.foreign_headroom, until))
        self.edge = _Phantoms(max(used - ours_inside, 0) - units, until)

    # -- defined per kind --------------------------------------------------------------------
    def admit(self, ticket: Ticket) -> None:
        raise NotImplementedError

    def take(self, ticket: Ticket) -> None:
        """`admit` within room measured by `measure_room`."""
        self.admit(ticket)

    def release(self, ticket: Ticket) -> None:
        raise NotImplementedError

    def close(self, ticket_id: str, start: float, end: float) -> None:
        raise NotImplementedError

    def projection(self, now: float) -> tuple[list[float], Callable[[float], int]]:
        """Times at which the count may drop, and the count an admission at time t would see."""
        raise NotImplementedError

    def in_use(self, now: float) -> int:
        raise NotImplementedError

    def ours_counted(self, ticket: Ticket, end: float, counted: bool) -> tuple[int, int, int]:
        """Our answered attempts the server held when it answered: all that may be, and those
        a closer reading of the window's edge says it still held (at most as many); and our
        attempts in flight that it may have counted too."""
        raise NotImplementedError

    def phantoms_until(self, obs: RateObservation, end: float) -> float:
        raise NotImplementedError


class _SlidingBook(_Book):
    def __init__(self, rule: RateLimit, skew_margin: float, open_ttl: float) -> None:
        super().__init__(rule, skew_margin, open_ttl)
        self.closed: list[tuple[float, float]] = []  # heap of (answered, sent)

    def hold(self, end: float) -> float:
        """Until when an attempt answered at `end` holds its slot. Counted in segments, the
        server received it at most `margin` after `end` by its clock: its segment ends no
        later than the one holding `end + margin`, and our clock may run `margin` behind."""
        if self.rule.segment is None:
            return end + self.window + self.margin
        return self.rule.released(end + self.margin) + self.margin

    def expire(self, now: float) -> None:
        super().expire(now)
        while self.closed and self.hold(self.closed[0][0]) <= now:
            heapq.heappop(self.closed)

    def admit(self, ticket: Ticket) -> None:
        self.open[ticket.id] = ticket.start

    def release(self, ticket: Ticket) -> None:
        self.open.pop(ticket.id, None)

    def close(self, ticket_id: str, start: float, end: float) -> None:
        if self.open.pop(ticket_id, None) is not None:
            heapq.heappush(self.closed, (end, start))

    def holds(self) -> list[float]:
        ends = [end for end, _ in self.closed]
        ends += [start + self.open_ttl for start in self.open.values()]
        return sorted(self.hold(end) for end in ends)

    def projection(self, now: float) -> tuple[list[float], Callable[[float], int]]:
        holds = self.holds()

        def count_at(t: float) -> int:
            return len(holds) - bisect_right(holds, t) + self.foreign_at(t)

        return sorted({now, *holds, *self.phantom_ends()}), count_at

    def in_use(self, now: float) -> int:
        return len(self.closed) + len(self.open)

    def ours_counted(self, ticket: Ticket, end: float, counted: bool) -> tuple[int, int, int]:
        # Every answered attempt still holding a slot may be held by the server too; but near
        # the window's edge the server may already have let one go that we still hold, which
        # would hide a foreign unit. The server received each attempt somewhere between sending
        # and answering: the middle of each span tells which probably went.
        seen = (ticket.start + end) / 2
        released = self.rule.released
        inside = sum(1 for answered, sent in self.closed if released((sent + answered) / 2) > seen)
        rejected = 0 if counted else 1
        return len(self.closed) - rejected, inside - rejected, len(self.open)

    def phantoms_until(self, obs: RateObservation, end: float) -> float:
        if self.rule.segment is None:
            until = end + self.window
        else:  # as `hold`: the foreign units arrived by `end`, by the server's clock too
            until = self.rule.released(end + self.margin)
        if obs.reset_at is not None:
            until = max(until, obs.reset_at)
        return until + self.margin


class _FixedBook(_Book):
    def __init__(self, rule: RateLimit, skew_margin: float, open_ttl: float) -> None:
        super().__init__(rule, skew_margin, open_ttl)
        self.charges: dict[int, int] = {}  # aligned window index -> attempts counted in it
        self.expired_below = -math.inf  # no charge of a window below this is kept
        # In-flight ticket id -> the last window its admission was charged to, and how many
        # in-flight tickets have each such last window: `ours_at`, run on every admission,
        # then looks at a window or two instead of every ticket.
        self.open_window: dict[str, int] = {}
        self.flying: dict[int, int] = {}
        self.room_window = 0  # the window `room` was measured in

    def index(self, t: float) -> int:
        return math.floor(t / self.window)

    def span(self, t: float) -> tuple[int, int]:
        """The windows an admission at t is charged to (two within `margin` of a boundary)."""
        return self.index(t - self.margin), self.index(t + self.margin)

    def expire(self, now: float) -> None:
        super().expire(now)
        oldest = self.index(now - self.margin)
        if oldest > self.expired_below:
            for k in [k for k in self.charges if k < oldest]:
                del self.charges[k]
            self.expired_below = oldest

    def charge(self, first: int, last: int) -> None:
        for k in range(first, last + 1):
            self.charges[k] = self.charges.get(k, 0) + 1

    def admit(self, ticket: Ticket) -> None:
        self.open[ticket.id] = ticket.start
        first, last = self.span(ticket.start)
        self.open_window[ticket.id] = last
        self.flying[last] = self.flying.get(last, 0) + 1
        self.charge(first, last)

    def take(self, ticket: Ticket) -> None:
        # Within measured room: away from any band, so one window, the one measured.
        k = self.room_window
        self.open[ticket.id] = ticket.start
        self.open_window[ticket.id] = k
        self.flying[k] = self.flying.get(k, 0) + 1
        self.charges[k] = self.charges.get(k, 0) + 1

    def land(self, ticket_id: str) -> None:
        """The ticket is no longer in flight."""
        last = self.open_window.pop(ticket_id, None)
        if last is not None:
            left = self.flying[last] - 1
            if left:
                self.flying[last] = left
            else:
                del self.flying[last]

    def release(self, ticket: Ticket) -> None:
        self.land(ticket.id)
        if self.open.pop(ticket.id, None) is not None:
            first, last = self.span(ticket.start)
            for k in range(first, last + 1):
                self.charges[k] = max(self.charges.get(k, 0) - 1, 0)

    def close(self, ticket_id: str, start: float, end: float) -> None:
        self.land(ticket_id)
        if self.open.pop(ticket_id, None) is not None:
            # Every window after the one it was charged to, up to the answer's.
            window, margin = self.window, self.margin
            first = math.floor((start + margin) / window) + 1
            last = math.floor((end + margin) / window)
            if first <= last:
                self.charge(first, last)

    def free_at(self, now: float) -> float:
        # Within `margin` of a boundary an admission is charged to both windows, and what is
        # left of the ending window cannot be used without that: wait for the band to end
        # (at most 2 x margin) and charge the new window alone.
        first, last = self.span(now)
        if first != last:
            return max(super().free_at(now), last * self.window + self.margin)
        return super().free_at(now)

    def measure_room(self, now: float) -> None:
        # A boundary's band charges two windows, and a new window counts every attempt still
        # in flight: both are for the full check.
        super().measure_room(now)
        self.room_window = self.index(now + self.margin)
        band = (self.room_window + 1) * self.window - self.margin
        self.room_until = min(self.room_until, band)

    def ours_at(self, t: float) -> int:
        """Our attempts the server may count in the busiest window an admission at t touches."""
        first, last = self.span(t)
        if first == last:  # away from a boundary: one window, no generator
            return self.charges.get(first, 0) + self.flying_before(first)
        return max(self.charges.get(k, 0) + self.flying_before(k) for k in range(first, last + 1))

    def flying_before(self, k: int) -> int:
        """In-flight attempts charged up to a window before k: the server may place them in k."""
        return sum(n for last, n in self.flying.items() if last < k) if self.flying else 0

    def projection(self, now: float) -> tuple[list[float], Callable[[float], int]]:
        k = self.index(now + self.margin)
        boundaries = [(k + n) * self.rule.window + self.margin for n in (1, 2)]
        times = sorted({now, *boundaries, *self.phantom_ends()})
        return times, lambda t: self.ours_at(t) + self.foreign_at(t)

    def in_use(self, now: float) -> int:
        return self.ours_at(now)

    def ours_counted(self, ticket: Ticket, end: float, counted: bool) -> tuple[int, int, int]:
        # Attempts still in flight and charged to the observed window may not be counted yet.
        k = self.index(end)

        def charged_to_k(start: float, end: float) -> bool:
            return self.index(start - self.margin) <= k <= self.index(end + self.margin)

        in_flight = sum(1 for s in self.open.values() if charged_to_k(s, s))
        rejected = 0 if counted or not charged_to_k(ticket.start, end) else 1
        ours = self.charges.get(k, 0) - in_flight - rejected
        return ours, ours, in_flight

    def phantoms_until(self, obs: RateObservation, end: float) -> float:
        until = (self.index(end) + 1) * self.rule.window
        if obs.reset_at is not None:
            until = obs.reset_at
        return until + self.margin


def _book(rule: RateLimit, skew_margin: float, open_ttl: float) -> _Book:
    kind = _SlidingBook if rule.kind == "sliding" else _FixedBook
    return kind(rule, skew_margin, open_ttl)


class MemoryRateBook:
    """The books of one process. Thread-safe, so clients on several event loops can share it."""

    def __init__(
        self,
        limits: Sequence[RateLimit],
        *,
        clock: Callable[[], float],
        skew_margin: float = DEFAULT_SKEW_MARGIN,
        open_ttl: float = DEFAULT_OPEN_TTL,
        foreign_headroom: int = DEFAULT_FOREIGN_HEADROOM,
    ) -> None:
        self._clock = clock
        self._books = [_book(rule, skew_margin, open_ttl) for rule in limits]
        for book in self._books:
            book.foreign_headroom = foreign_headroom
        self._covered: dict[tuple[int, ...], list[_Book]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    @property
    def limits(self) -> tuple[RateLimit, ...]:
        return tuple(book.rule for book in self._books)

    def on_change(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback()

    async def admit(self, limit_ids: tuple[int, ...]) -> tuple[Ticket | None, float]:
        return self.admit_now(limit_ids)

    def admit_now(self, limit_ids: tuple[int, ...]) -> tuple[Ticket | None, float]:
        """`admit` without awaiting: these books answer at once (the budget's fast path).

        While every book still has room measured by its last full check (and that check is
        recent enough), an admission only takes one unit of it: no expiry, no projection."""
        with self._lock:
            now = self._clock()
            books = self._covered.get(limit_ids)
            if books is None:
                books = self._covered[limit_ids] = [self._books[i] for i in limit_ids]
            for book in books:
                if book.room <= 0 or now >= book.room_until:
                    return self._admit_checked(books, limit_ids, now)
            ticket = Ticket(str(next(self._ids)), now, limit_ids)
            for book in books:
                book.room -= 1
                book.take(ticket)
            return ticket, 0.0

    def _admit_checked(
        self, books: list[_Book], limit_ids: tuple[int, ...], now: float
    ) -> tuple[Ticket | None, float]:
        ready = now
        for book in books:
            book.expire(now)
            free = book.free_at(now)
            if free > ready:
                ready = free
        if ready > now:
            return None, ready - now
        ticket = Ticket(str(next(self._ids)), now, limit_ids)
        for book in books:
            book.measure_room(now)
            book.room -= 1
            book.admit(ticket)
        return ticket, 0.0

    def finish(
        self,
        ticket: Ticket | None,
        *,
        counted: bool,
        observations: Sequence[tuple[int, RateObservation]] = (),
        pause: tuple[tuple[int, ...], float] | None = None,
    ) -> None:
        with self._lock:
            now = self._clock()
            if ticket is not None:
                for i in ticket.limits:
                    self._books[i].close(ticket.id, ticket.start, now)
                for i, obs in observations:
                    self._books[i].observe(obs, ticket, now, counted)
            if pause is not None:
                self._pause(pause[0], now + pause[1])
        self._changed()

    def release(self, ticket: Ticket) -> None:
        with self._lock:
            for i in ticket.limits:
                self._books[i].release(ticket)
        self._changed()

    def pause(self, limit_ids: tuple[int, ...], seconds: float) -> None:
        with self._lock:
            self._pause(limit_ids, self._clock() + seconds)
        self._changed()

    def _pause(self, limit_ids: tuple[int, ...], until: float) -> None:
        for i in limit_ids:
            book = self._books[i]
            book.paused_until = max(book.paused_until, until)
            book.room = 0

    async def usage(self) -> tuple[LimitUsage, ...]:
        with self._lock:
            now = self._clock()
            rows = []
            for book in self._books:
                book.expire(now)
                rows.append(
                    LimitUsage(
                        name=book.rule.name,
                        limit=book.rule.limit,
                        window=book.rule.window,
                        in_use=book.in_use(now),
                        foreign=book.foreign_at(now),
                        paused_for=max(book.paused_until - now, 0.0),
                        wait=book.free_at(now) - now,
                    )
                )
            return tuple(rows)

    async def settle(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
