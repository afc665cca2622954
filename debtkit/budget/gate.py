"""Rate budgets: never more attempts than a provider allows, and all that it allows.

A `Budget` is the `RequestGate` of one credential. Every attempt (retries included) waits in
`before_attempt` until every limit covering its request class has room, in first-come order per
request class, and the budget learns from every answer: rate-limit headers (through the
adapter's `parse_rate_headers`) and 429s (which pause the limits concerned for every caller).

Every wait a server asks for is capped: a 429's pause (its retry-after from header or body, or
its `X-RateLimit-Reset`) at `max_server_wait` seconds; a reset or window in rate-limit headers
at the configured window or `max_server_wait`, whichever is longer. Uncapped, one hostile or
broken answer would stall every client of the credential for as long as it likes, even after
the server recovered. The caller that got such a 429 gets its `RateLimitedError` with the
server's value (see `debtkit.retry.RetryPolicy`).
The bookkeeping rules are in `debtkit.budget.books`; the shared, cross-process books are in
`debtkit.budget.redis_books`.

aiolimiter is deliberately not used here: its leaky bucket starts empty and admits a full burst
on top of the drip, so `AsyncLimiter(500, 3600)` lets 999 through in a rolling hour, and a
sliding limit needs an exact log of admissions instead (tests/core/test_budget.py proves both).

Typical use, one budget per credential shared by every client of it in the process::

    budget = default_pool().for_adapter(adapter, credentials, overrides={"write": 1000})
    transport = Transport(..., gate=budget)
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from debtkit.budget.books import (
    DEFAULT_FOREIGN_HEADROOM,
    DEFAULT_OPEN_TTL,
    DEFAULT_SKEW_MARGIN,
    LimitUsage,
    MemoryRateBook,
    RateBook,
    Ticket,
)
from debtkit.errors import ConfigurationError, RateLimitedError
from debtkit.plugin import RateLimit, RateObservation
from debtkit.retry import DEFAULT_MAX_SERVER_WAIT, retry_after_seconds
from debtkit.transport import Request, RequestGate, Response

if TYPE_CHECKING:
    from debtkit.plugin import Adapter

__all__ = [
    "NO_BUDGET",
    "Budget",
    "BudgetPool",
    "BudgetStats",
    "LimitUsage",
    "adapter_limits",
    "adapter_retry_after",
    "apply_overrides",
    "credential_fingerprint",
    "default_pool",
    "gate_for",
]

logger = logging.getLogger("debtkit.budget")

Observe = Callable[[Response], "RateObservation | None"]
RetryAfter = Callable[[Response], "float | None"]
Sleep = Callable[[float], Awaitable[object]]


def apply_overrides(
    limits: Iterable[RateLimit], overrides: Mapping[str, int | RateLimit] | None
) -> tuple[RateLimit, ...]:
    """The adapter's limits with a customer's plan applied, by limit name."""
    limits = tuple(limits)
    overrides = dict(overrides or {})
    unknown = set(overrides) - {rule.name for rule in limits}
    if unknown:
        names = ", ".join(rule.name for rule in limits)
        raise ConfigurationError(f"no rate limit named {sorted(unknown)}; limits are: {names}")
    out = []
    for rule in limits:
        new = overrides.get(rule.name, rule)
        out.append(new if isinstance(new, RateLimit) else attrs.evolve(rule, limit=int(new)))
    return tuple(out)


def adapter_limits(
    adapter: Adapter,
    overrides: Mapping[str, int | RateLimit] | None = None,
    time_scale: float = 1.0,
) -> tuple[RateLimit, ...]:
    """The adapter's limits, with a customer's plan applied and time compressed for tests."""
    limits = apply_overrides(adapter.rate_limits(), overrides)
    return limits if time_scale == 1.0 else tuple(rule.scaled(time_scale) for rule in limits)


def adapter_retry_after(adapter: Adapter) -> RetryAfter:
    """The wait a 429 asks for, as the adapter reads it (headers or body, provider-specific)."""

    def retry_after(response: Response) -> float | None:
        error = adapter.parse_error(response)
        return error.retry_after if isinstance(error, RateLimitedError) else None

    return retry_after


def credential_fingerprint(provider: str, credentials: Mapping[str, str] | str) -> str:
    """A stable, one-way name for a credential: budgets and Redis keys use it, never the secret."""
    items = sorted(credentials.items()) if isinstance(credentials, Mapping) else [("", credentials)]
    digest = hashlib.sha256(provider.encode())
    for name, value in items:
        digest.update(b"\0" + name.encode() + b"\0" + value.encode())
    return digest.hexdigest()[:24]


@attrs.frozen
class BudgetStats:
    """A snapshot for tests, benchmarks and progress bars."""

    admitted: Mapping[str, int]  # attempts admitted since creation, by request class
    waiting: int  # callers queued in this process
    limits: tuple[LimitUsage, ...]

    @property
    def wait(self) -> float:
        """Seconds until the most constrained limit admits one more attempt."""
        return max((usage.wait for usage in self.limits), default=0.0)


class _LoopQueues:
    """Per event loop: one FIFO lock per request class, the callers queued for it, tickets
    admitted for them in one batch and not yet taken, and a wake-up signal."""

    def __init__(self) -> None:
        self.locks: dict[str, asyncio.Lock] = {}
        self.queued: dict[str, int] = {}
        self.spare: dict[str, list[Ticket]] = {}
        self.changed = asyncio.Event()

    def lock(self, request_class: str) -> asyncio.Lock:
        lock = self.locks.get(request_class)
        if lock is None:
            lock = self.locks[request_class] = asyncio.Lock()
        return lock

    def wake(self) -> None:
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()


class Budget:
    """The rate budget of one credential; pass it to a `Transport` as `gate=`.

    `observe` reads a response's rate-limit headers (an adapter's `parse_rate_headers`);
    `retry_after` reads the wait a 429 asks for when it is not in a standard `Retry-After`
    header (for example `lambda r: adapter.parse_error(r).retry_after`). `clock` (epoch
    seconds; fixed windows align to it) and `sleep` make time injectable. `books` replaces the
    in-process books, for instance with `debtkit.budget.redis_books.RedisRateBook`.
    `max_server_wait` caps every server-requested pause or reset (see the module docstring);
    clients sharing the budget lower it to their retry policy's with `cap_server_waits`.
    """

    def __init__(
        self,
        limits: Iterable[RateLimit],
        *,
        observe: Observe | None = None,
        retry_after: RetryAfter | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        skew_margin: float = DEFAULT_SKEW_MARGIN,
        open_ttl: float = DEFAULT_OPEN_TTL,
        foreign_headroom: int = DEFAULT_FOREIGN_HEADROOM,
        books: RateBook | None = None,
        max_server_wait: float = DEFAULT_MAX_SERVER_WAIT,
    ) -> None:
        limits = tuple(limits)
        if not 0 <= max_server_wait < math.inf:
            raise ConfigurationError("max_server_wait must be a finite number of seconds >= 0")
        self.max_server_wait = float(max_server_wait)
        if not limits:
            raise ConfigurationError("a budget needs at least one rate limit")
        if any(rule.limit < 1 or rule.window <= 0 for rule in limits):
            raise ConfigurationError("every rate limit needs limit >= 1 and window > 0")
        for rule in limits:
            if rule.segment is not None and not (
                rule.kind == "sliding" and 0 < rule.segment < math.inf
            ):
                raise ConfigurationError(
                    f"{rule.name}: a segment is a positive number of seconds, for a sliding limit"
                )
        if not 0 <= skew_margin < 0.5:
            raise ConfigurationError("skew_margin is a fraction of the window in [0, 0.5)")
        if books is None:
            books = MemoryRateBook(
                limits,
                clock=clock,
                skew_margin=skew_margin,
                open_ttl=open_ttl,
                foreign_headroom=foreign_headroom,
            )
        elif books.limits != limits:
            raise ConfigurationError("the rate books were built for other limits than this budget")
        self.books = books
        # Books that answer synchronously (in memory) let an uncontended admission skip the
        # queue's task, lock and loop turn.
        self._admit_now: Callable[[tuple[int, ...]], tuple[Ticket | None, float]] | None = getattr(
            books, "admit_now", None
        )
        self.configured = limits  # as built; `limits` is what the server has said since
        self._observe = observe
        self._retry_after = retry_after
        self._clock = clock
        self._sleep = sleep
        # Each task's admitted, unreported attempt: (task, ticket) in the task's own context,
        # which costs a fraction of a weak dictionary keyed by task. Tasks that share one
        # context (`create_task(context=...)`) fall back to the weak dictionary.
        self._ticket: contextvars.ContextVar[tuple[object, Ticket] | None] = contextvars.ContextVar(
            f"debtkit_budget_ticket_{id(self):x}", default=None
        )
        self._in_flight: weakref.WeakKeyDictionary[asyncio.Task[object], Ticket] = (
            weakref.WeakKeyDictionary()
        )
        self._queued: dict[str, int] = {}  # callers past the fast path, by request class
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueues] = (
            weakref.WeakKeyDictionary()
        )
        self._admitted: dict[str, int] = {}
        self._covering: dict[str, tuple[int, ...]] = {}
        self._waiting = 0
        # Held weakly so the books keeps no budget alive (the pool relies on that); called on
        # every answer, so it does nothing else while nobody waits.
        budget = weakref.ref(self)

        def wake() -> None:
            alive = budget()
            if alive is not None and alive._waiting:
                alive._wake_all()

        books.on_change(wake)

    @classmethod
    def for_adapter(
        cls,
        adapter: Adapter,
        *,
        overrides: Mapping[str, int | RateLimit] | None = None,
        time_scale: float = 1.0,
        **options: object,
    ) -> Budget:
        """The adapter's documented limits (with a customer's plan applied), headers and 429s."""
        return cls(
            adapter_limits(adapter, overrides, time_scale),
            observe=adapter.parse_rate_headers,
            retry_after=adapter_retry_after(adapter),
            **options,  # type: ignore[arg-type]
        )

    def __repr__(self) -> str:
        rules = ", ".join(f"{r.name}={r.limit}/{r.window:g}s {r.kind}" for r in self.limits)
        return f"Budget({rules})"

    @property
    def limits(self) -> tuple[RateLimit, ...]:
        """The limits as currently known (the server may have replaced configured ones)."""
        return self.books.limits

    def cap_server_waits(self, seconds: float) -> None:
        """Believe server-requested waits up to `seconds` at most from now on (never raises
        the cap: every client sharing the budget is held to the smallest one)."""
        if 0 <= seconds < self.max_server_wait:
            self.max_server_wait = float(seconds)

    def covering(self, request_class: str) -> tuple[int, ...]:
        found = self._covering.get(request_class)
        if found is None:
            found = self._covering[request_class] = tuple(
                i for i, r in enumerate(self.books.limits) if request_class in r.request_classes
            )
        return found

    # -- RequestGate ---------------------------------------------------------------------------
    async def before_attempt(self, request: Request) -> None:
        limit_ids = self.covering(request.request_class)
        if not limit_ids:
            return  # auth, or a class no limit counts
        request_class = request.request_class
        admit_now = self._admit_now
        ticket = None
        if admit_now is not None and not self._queued.get(request_class):
            # Nobody queued for this class and the books answer synchronously: take the slot
            # without a task, a lock or a loop turn (first-come order is not at stake).
            ticket = admit_now(limit_ids)[0]
            if ticket is not None:
                self._admitted[request_class] = self._admitted.get(request_class, 0) + 1
        if ticket is None:
            ticket = await self._admit(request_class, limit_ids)
        task = asyncio.current_task()
        if task is None:
            return
        # An attempt of this task never reported back (a caller bypassing the transport) ends
        # here.
        held = self._ticket.get()
        if held is None or held[0] is task:
            previous = held[1] if held is not None else self._in_flight.pop(task, None)
            self._ticket.set((task, ticket))
        else:  # another task's attempt in this very context: keep the two apart
            previous = self._in_flight.pop(task, None)
            self._in_flight[task] = ticket
        if previous is not None:
            self.books.finish(previous, counted=True)

    def after_response(self, request: Request, response: Response) -> None:
        ticket = self._take_ticket(asyncio.current_task())
        observation = self._observe(response) if self._observe is not None else None
        if observation is None and response.status != 429:
            if ticket is not None:
                self.books.finish(ticket, counted=True)
            return
        limit_ids = self.covering(request.request_class)
        observations = []
        if observation is not None:
            matched = self._match(observation, request.request_class)
            if matched is not None:
                observation = self._bounded(observation, matched)
                observations.append((matched, observation))
        pause = None
        # A 429 stating no wait at all pauses nothing: the retry policy's backoff applies.
        if response.status == 429 and limit_ids:
            seconds = self._server_wait(response, observation)
            if seconds is not None:
                logger.info(
                    "rate limited (429): pausing %s for %.2fs", self._names(limit_ids), seconds
                )
                pause = (limit_ids, seconds)
        # A 429 was refused at the door: the server did not count it (but it keeps its slot).
        self.books.finish(
            ticket, counted=response.status != 429, observations=observations, pause=pause
        )

    def after_failure(self, request: Request, error: BaseException) -> None:
        # No answer: the server may have counted it, so the slot is held as if it had.
        ticket = self._take_ticket(asyncio.current_task())
        if ticket is not None:
            self.books.finish(ticket, counted=True)

    # -- direct use ----------------------------------------------------------------------------
    def pause(self, until: float, request_class: str | None = None) -> None:
        """Admit nothing on the limits covering `request_class` (all if None) before `until`
        (epoch seconds on this budget's clock)."""
        limit_ids = (
            self.covering(request_class) if request_class else tuple(range(len(self.limits)))
        )
        self.books.pause(limit_ids, max(until - self._clock(), 0.0))

    async def stats(self) -> BudgetStats:
        return BudgetStats(dict(self._admitted), self._waiting, await self.books.usage())

    async def aclose(self) -> None:
        await self.books.aclose()

    # -- internals -----------------------------------------------------------------------------
    def _queues(self) -> _LoopQueues:
        loop = asyncio.get_running_loop()
        queues = self._loops.get(loop)
        if queues is None:
            queues = self._loops[loop] = _LoopQueues()
        return queues

    async def _admit(self, request_class: str, limit_ids: tuple[int, ...]) -> Ticket:
        """Queue first-come-first-served for the class until the books admit. Books that can
        admit several at once (Redis) are asked for every caller queued in this loop, and the
        tickets go to the next callers in order."""
        queues = self._queues()
        self._waiting += 1
        self._queued[request_class] = self._queued.get(request_class, 0) + 1
        queues.queued[request_class] = queues.queued.get(request_class, 0) + 1
        try:
            # One caller per class asks the books at a time, in arrival order; a cancelled
            # waiter leaves the lock's queue without having taken anything.
            async with queues.lock(request_class):
                spare = queues.spare.get(request_class)
                if spare:
                    ticket = spare.pop(0)
                else:
                    while True:
                        changed = queues.changed
                        tickets, wait = await self._ask(limit_ids, queues.queued[request_class])
                        if tickets:
                            break
                        await self._wait(wait, changed)
                    ticket = tickets[0]
                    if len(tickets) > 1:
                        queues.spare.setdefault(request_class, []).extend(tickets[1:])
                self._admitted[request_class] = self._admitted.get(request_class, 0) + 1
                return ticket
        finally:
            self._waiting -= 1
            self._queued[request_class] -= 1
            queues.queued[request_class] -= 1
            if not queues.queued[request_class]:
                # Nobody left to take them (callers cancelled): give the slots back.
                for unused in queues.spare.pop(request_class, ()):
                    self.books.release(unused)

    async def _ask(self, limit_ids: tuple[int, ...], want: int) -> tuple[list[Ticket], float]:
        # A books may await (Redis): if this caller is cancelled while the answer is on its
        # way, admissions that still arrive are given back instead of holding slots.
        admit_many = getattr(self.books, "admit_many", None)
        if admit_many is not None and want > 1:
            asked: Awaitable[tuple[list[Ticket], float]] = admit_many(limit_ids, min(want, 64))
        else:
            asked = _as_list(self.books.admit(limit_ids))
        answer = asyncio.ensure_future(asked)
        try:
            return await asyncio.shield(answer)
        except asyncio.CancelledError:
            answer.add_done_callback(self._give_back)
            raise

    def _give_back(self, answer: asyncio.Future[tuple[list[Ticket], float]]) -> None:
        if not answer.cancelled() and answer.exception() is None:
            for ticket in answer.result()[0]:
                self.books.release(ticket)

    async def _wait(self, seconds: float, changed: asyncio.Event) -> None:
        """Sleep `seconds` (on the injected clock), or less if the books change meanwhile."""
        waiters: list[asyncio.Future[object]] = [asyncio.ensure_future(changed.wait())]
        if seconds != float("inf"):
            waiters.append(asyncio.ensure_future(self._sleep(seconds)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    def _wake_all(self) -> None:
        if not self._waiting:
            # Nobody to wake: a caller that starts waiting later asks the books first, and
            # sees this change there.
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, queues in list(self._loops.items()):
            if loop is running:
                queues.wake()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(queues.wake)

    def _take_ticket(self, task: asyncio.Task[object] | None) -> Ticket | None:
        if task is None:
            return None
        held = self._ticket.get()
        if held is not None and held[0] is task:
            self._ticket.set(None)
            return held[1]
        return self._in_flight.pop(task, None) if self._in_flight else None

    def _match(self, observation: RateObservation, request_class: str) -> int | None:
        """Which limit an observation describes: the one covering the class with the observed
        window, else the only one covering the class (its window may have changed)."""
        limit_ids = self.covering(observation.request_class or request_class)
        if observation.window is not None:
            for i in limit_ids:
                if abs(self.limits[i].window - observation.window) <= 1e-9 * observation.window:
                    return i
        if len(limit_ids) == 1:
            return limit_ids[0]
        logger.debug("rate observation matches no single limit: %s", observation)
        return None

    def _server_wait(self, response: Response, observation: RateObservation | None) -> float | None:
        seconds = self._retry_after(response) if self._retry_after is not None else None
        if seconds is None:
            seconds = retry_after_seconds(response.headers, now=self._clock())
        if seconds is None and observation is not None and observation.reset_at is not None:
            seconds = max(observation.reset_at - self._clock(), 0.0)
        if seconds is None or math.isnan(seconds):
            return None
        return min(max(seconds, 0.0), self.max_server_wait)

    def _bounded(self, observation: RateObservation, limit_id: int) -> RateObservation:
        """The observation with every time in it capped at the configured window or
        `max_server_wait`, whichever is longer: a window no longer (it holds each slot that
        long), a reset no further ahead (a true one is never more than a window away).
        Unusable numbers are dropped."""
        longest = max(self.configured[limit_id].window, self.max_server_wait)
        reset_at, window = observation.reset_at, observation.window
        if reset_at is not None:
            latest = self._clock() + longest
            reset_at = None if math.isnan(reset_at) else min(reset_at, latest)
        if window is not None:
            window = min(window, longest) if window > 0 else None  # NaN fails `> 0` too
        if (reset_at, window) == (observation.reset_at, observation.window):
            return observation
        return attrs.evolve(observation, reset_at=reset_at, window=window)

    def _names(self, limit_ids: Sequence[int]) -> str:
        return ", ".join(self.limits[i].name for i in limit_ids)


async def _as_list(
    admission: Awaitable[tuple[Ticket | None, float]],
) -> tuple[list[Ticket], float]:
    ticket, wait = await admission
    return ([ticket] if ticket is not None else []), wait


class BudgetPool:
    """One `Budget` per (provider, credential) for every client that asks.

    Budgets are held weakly: one lives as long as some client uses it, so a pool never grows
    with credentials that are no longer in use.
    """

    def __init__(self) -> None:
        self._budgets: weakref.WeakValueDictionary[tuple[str, str], Budget] = (
            weakref.WeakValueDictionary()
        )

    def get(
        self, provider: str, credentials: Mapping[str, str] | str, build: Callable[[], Budget]
    ) -> Budget:
        key = (provider, credential_fingerprint(provider, credentials))
        budget = self._budgets.get(key)
        if budget is None:
            budget = self._budgets[key] = build()
        return budget

    def for_adapter(
        self,
        adapter: Adapter,
        credentials: Mapping[str, str] | str,
        *,
        overrides: Mapping[str, int | RateLimit] | None = None,
        time_scale: float = 1.0,
        **options: object,
    ) -> Budget:
        """The budget of this credential, built from the adapter on first use. Later callers
        share it as it is; asking for other limits than it has is a configuration error."""
        budget = self.get(
            adapter.name,
            credentials,
            lambda: Budget.for_adapter(
                adapter, overrides=overrides, time_scale=time_scale, **options
            ),
        )
        if adapter_limits(adapter, overrides, time_scale) != budget.configured:
            raise ConfigurationError(
                f"{adapter.name}: this credential's budget already runs with other limits"
            )
        return budget

    def __len__(self) -> int:
        return len(self._budgets)


# The one deliberate process-wide object in debtkit. The guarantee is per credential across
# every client in the process, including clients built independently by unrelated code, and
# that needs one place they all find. It holds no configuration and only weak references, so
# it is empty whenever no client is alive; callers wanting isolation pass their own
# `BudgetPool` or a `gate=`.
_DEFAULT_POOL = BudgetPool()


def default_pool() -> BudgetPool:
    return _DEFAULT_POOL


def gate_for(
    adapter: Adapter,
    credentials: Mapping[str, str],
    gate: RequestGate | None = None,
    *,
    rate_overrides: Mapping[str, int | RateLimit] | None = None,
    time_scale: float = 1.0,
    pool: BudgetPool | None = None,
    max_server_wait: float = DEFAULT_MAX_SERVER_WAIT,
) -> RequestGate:
    """What an adapter's `connect()` puts in front of its transport: the caller's `gate` if
    given, else the credential's shared budget from `pool` (the default pool). A budget's
    server-requested waits are capped at `max_server_wait` (the client's retry policy's)."""
    if gate is not None:
        if isinstance(gate, Budget):
            gate.cap_server_waits(max_server_wait)
        return gate
    budget = (pool or default_pool()).for_adapter(
        adapter,
        credentials,
        overrides=rate_overrides,
        time_scale=time_scale,
        max_server_wait=max_server_wait,
    )
    budget.cap_server_waits(max_server_wait)
    return budget


class _NoBudget:
    """A gate that admits everything at once: for callers who limit requests themselves."""

    def __repr__(self) -> str:
        return "NO_BUDGET"

    async def before_attempt(self, request: Request) -> None:
        return None

    def after_response(self, request: Request, response: Response) -> None:
        return None

    def after_failure(self, request: Request, error: BaseException) -> None:
        return None


NO_BUDGET: RequestGate = _NoBudget()
