"""A rate budget shared by every process and host that imports into one account, kept in Redis.

`RedisRateBook` keeps the books of `debtkit.budget.books` (same rules: slots held until a window
after the answer, fixed windows charged per span, foreign phantoms, 429 pauses) in Redis, and every
decision is one Lua script run atomically on the Redis server with the Redis server's clock
(`TIME`), so hosts need no synchronised clocks and no two processes can both take the last
slot. Each process still queues its own callers first-come-first-served in front of it.

Keys live under ``<namespace>:{<provider>:<credential fingerprint>}:``; the hash tag keeps one
credential's keys in one cluster slot, and no key names the secret. Every key expires on its
own once the budget is idle. Requires the extra: ``pip install 'debtkit[redis]'``.

    budget = shared_budget_for_adapter("redis://localhost:6379/0", adapter, credentials)
    transport = Transport(..., gate=budget)
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import attrs

from debtkit.budget import Budget, adapter_limits, adapter_retry_after, credential_fingerprint
from debtkit.budget.books import (
    DEFAULT_FOREIGN_HEADROOM,
    DEFAULT_OPEN_TTL,
    DEFAULT_SKEW_MARGIN,
    LimitUsage,
    Ticket,
)
from debtkit.errors import ConfigurationError
from debtkit.plugin import RateLimit, RateObservation

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from debtkit.plugin import Adapter

__all__ = ["RedisRateBook", "shared_budget", "shared_budget_for_adapter"]

logger = logging.getLogger("debtkit.budget")

_SCRIPT = resources.files("debtkit.budget").joinpath("redis_books.lua").read_text(encoding="utf-8")


def _connect(redis: Redis | str) -> Redis:
    try:
        from redis.asyncio import Redis
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ConfigurationError(
            "a shared budget needs redis-py: pip install 'debtkit[redis]'"
        ) from None
    return Redis.from_url(redis) if isinstance(redis, str) else redis


def _num(value: float | None) -> str:
    return "" if value is None else repr(float(value))


class RedisRateBook:
    """The books of one credential's budget, in Redis. `poll` bounds how long a waiting caller
    sleeps before asking again, since answers arriving in other processes wake no one here."""

    def __init__(
        self,
        redis: Redis | str,
        prefix: str,
        limits: Sequence[RateLimit],
        *,
        skew_margin: float = DEFAULT_SKEW_MARGIN,
        open_ttl: float = DEFAULT_OPEN_TTL,
        foreign_headroom: int = DEFAULT_FOREIGN_HEADROOM,
        poll: float = 0.5,
    ) -> None:
        names = [rule.name for rule in limits]
        if len(set(names)) != len(names) or any(":" in name for name in names):
            raise ConfigurationError("shared limits need distinct names without ':'")
        self._redis = _connect(redis)
        self._owns_client = isinstance(redis, str)
        self._script = self._redis.register_script(_SCRIPT)
        self._prefix = prefix
        self._configured = tuple(limits)  # what the script is told; Redis keeps what changed
        self._limits = self._configured
        self._skew_margin = skew_margin
        self._open_ttl = open_ttl
        self._foreign_headroom = foreign_headroom
        self._poll = poll
        self._listeners: list[Callable[[], None]] = []
        self._pending: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"RedisRateBook({self._prefix!r})"

    @property
    def limits(self) -> tuple[RateLimit, ...]:
        return self._limits

    def on_change(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    async def _run(self, op: str, *args: str) -> list[Any]:
        spec: list[str] = []
        for rule in self._configured:
            spec += [rule.name, str(rule.limit), repr(rule.window), rule.kind, _num(rule.segment)]
        head = [op, repr(self._open_ttl), repr(self._skew_margin)]
        head += [str(self._foreign_headroom), str(len(self._configured))]
        reply = await self._script(keys=[self._prefix], args=[*head, *spec, *args])
        return [v.decode() if isinstance(v, bytes) else v for v in reply]

    async def admit(self, limit_ids: tuple[int, ...]) -> tuple[Ticket | None, float]:
        tickets, wait = await self.admit_many(limit_ids, 1)
        return (tickets[0] if tickets else None), wait

    async def admit_many(
        self, limit_ids: tuple[int, ...], count: int
    ) -> tuple[list[Ticket], float]:
        """Up to `count` admissions in one round trip (as many as fit now), or how long to
        wait: a process's queued callers would otherwise each wait for a round trip of
        their own, and a busy process could not keep its share of the budget in use."""
        ticket_id = uuid.uuid4().hex
        reply = await self._run("admit", ticket_id, _ids(limit_ids), str(count))
        if reply[0] != "1":
            return [], min(float(reply[1]), self._poll)
        start = float(reply[1])
        ids = [ticket_id] + [f"{ticket_id}:{n}" for n in range(2, int(reply[2]) + 1)]
        return [Ticket(i, start, limit_ids) for i in ids], 0.0

    def finish(
        self,
        ticket: Ticket | None,
        *,
        counted: bool,
        observations: Sequence[tuple[int, RateObservation]] = (),
        pause: tuple[tuple[int, ...], float] | None = None,
    ) -> None:
        args = [
            ticket.id if ticket else "",
            _num(ticket.start if ticket else None),
            "1" if counted else "0",
            _ids(ticket.limits if ticket else ()),
            _ids(pause[0] if pause else ()),
            _num(pause[1] if pause else None),
        ]
        observed = []
        for i, obs in observations if ticket else ():
            self._learn(i, obs)
            observed += [str(i + 1), _num(obs.limit), _num(obs.remaining), _num(obs.reset_at)]
            observed += [_num(obs.window)]
        self._later(self._finish(args, observed, time.monotonic()))

    async def _finish(self, args: list[str], observed: list[str], answered: float) -> None:
        # The update runs later than the answer came (a task, a round trip, a busy process):
        # the script dates the answer back by the age measured here, never by more.
        await self._run("finish", *args, repr(time.monotonic() - answered), *observed)

    def release(self, ticket: Ticket) -> None:
        self._later(self._run("release", ticket.id, _num(ticket.start), _ids(ticket.limits)))

    def pause(self, limit_ids: tuple[int, ...], seconds: float) -> None:
        args = ["", "", "1", "", _ids(limit_ids), _num(seconds)]
        self._later(self._finish(args, [], time.monotonic()))

    def _learn(self, i: int, obs: RateObservation) -> None:
        # Mirror a limit the server replaced, so this process matches observations to it.
        rule = self._limits[i]
        if obs.limit and obs.limit > 0:
            rule = attrs.evolve(rule, limit=int(obs.limit))
        if obs.window:
            rule = attrs.evolve(rule, window=obs.window)
        self._limits = (*self._limits[:i], rule, *self._limits[i + 1 :])

    def _later(self, call: Any) -> None:
        # The gate's hooks cannot wait on Redis; the update runs as a task and wakes the
        # waiters of this process when it has landed.
        async def run() -> None:
            try:
                await call
            except Exception:
                logger.warning("shared budget update failed", exc_info=True)
            for callback in self._listeners:
                callback()

        task = asyncio.ensure_future(run())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def usage(self) -> tuple[LimitUsage, ...]:
        reply = await self._run("usage")
        rows = []
        for i in range(len(self._limits)):
            name, limit, window, in_use, foreign, paused, wait = reply[i * 7 : i * 7 + 7]
            rows.append(
                LimitUsage(
                    name=name,
                    limit=int(limit),
                    window=float(window),
                    in_use=int(in_use),
                    foreign=int(foreign),
                    paused_for=float(paused),
                    wait=float(wait),
                )
            )
        return tuple(rows)

    async def settle(self) -> None:
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Let pending updates land, then close the connection if this books opened it."""
        await self.settle()
        if self._owns_client:
            await self._redis.aclose()


def _ids(limit_ids: Iterable[int]) -> str:
    return ",".join(str(i + 1) for i in limit_ids)  # Lua counts from 1


def shared_budget(
    redis: Redis | str,
    *,
    provider: str,
    credentials: Mapping[str, str] | str,
    limits: Iterable[RateLimit],
    namespace: str = "debtkit",
    skew_margin: float = DEFAULT_SKEW_MARGIN,
    open_ttl: float = DEFAULT_OPEN_TTL,
    foreign_headroom: int = DEFAULT_FOREIGN_HEADROOM,
    poll: float = 0.5,
    **options: Any,
) -> Budget:
    """A `Budget` whose books are in Redis, shared by every process using this credential."""
    limits = tuple(limits)
    prefix = f"{namespace}:{{{provider}:{credential_fingerprint(provider, credentials)}}}:"
    books = RedisRateBook(
        redis,
        prefix,
        limits,
        skew_margin=skew_margin,
        open_ttl=open_ttl,
        foreign_headroom=foreign_headroom,
        poll=poll,
    )
    return Budget(limits, books=books, **options)


def shared_budget_for_adapter(
    redis: Redis | str,
    adapter: Adapter,
    credentials: Mapping[str, str] | str,
    *,
    overrides: Mapping[str, int | RateLimit] | None = None,
    time_scale: float = 1.0,
    **options: Any,
) -> Budget:
    """The adapter's limits, headers and 429s, with the books in Redis."""
    return shared_budget(
        redis,
        provider=adapter.name,
        credentials=credentials,
        limits=adapter_limits(adapter, overrides, time_scale),
        observe=adapter.parse_rate_headers,
        retry_after=adapter_retry_after(adapter),
        **options,
    )
