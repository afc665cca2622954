"""The simulator's memory: debts, tokens, rate-limit counters and a log of every request.

Tests read it directly (``app[STATE]``): `debts` holds every live debt as GetBill would
return it, `log` every API request with its time, budget and status, so "every debt exactly
once" (`internal_id_counts`) and "at most N writes per window" (`admitted`) can be checked.
"""

from __future__ import annotations

import collections
import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

from debtkit import RateLimit
from debtkit.simulator import WindowLimiter
from debtkit_getbill.simulator.webhooks import WebhookSender

__all__ = ["ANONYMOUS", "ClientConfig", "LoggedRequest", "SimulatorState", "TokenGrant"]

ANONYMOUS = "<anonymous>"  # the rate-limit bucket of requests without a valid token


@attrs.frozen
class ClientConfig:
    """An OAuth client the simulator knows, with the scopes it may be granted."""

    secret: str = attrs.field(repr=False)
    scopes: frozenset[str] = frozenset({"debts:read", "debts:write"})


@attrs.frozen
class TokenGrant:
    client_id: str
    scopes: frozenset[str]
    expires_at: float  # state clock


@attrs.frozen
class LoggedRequest:
    at: float  # when it arrived (and was counted), state clock, epoch seconds
    method: str
    path: str
    bucket: str | None  # "read", "write", or None for the token endpoint
    client_id: str | None
    status: int
    admitted: bool  # counted against the budget (False: answered 429)
    cost: int = 1
    query: Mapping[str, str] = attrs.field(factory=dict)
    body: Any = None  # the parsed JSON body, for assertions on what was sent


class SimulatorState:
    def __init__(
        self,
        *,
        clients: Mapping[str, ClientConfig],
        limits: Mapping[str, RateLimit],
        token_ttl: float,
        clock: Callable[[], float],
        batch_cost: Literal["request", "item"] = "request",
    ) -> None:
        self.clients = dict(clients)
        self.limits = dict(limits)
        self.token_ttl = token_ttl
        self.clock = clock
        self.batch_cost = batch_cost
        self.debts: dict[str, dict[str, Any]] = {}  # id -> debt record, in import order
        self.deleted: list[str] = []
        self.imports: list[dict[str, Any]] = []
        self.tokens: dict[str, TokenGrant] = {}
        self.grants: list[float] = []  # when each token was issued
        self.log: list[LoggedRequest] = []
        self.payments: list[dict[str, Any]] = []  # recorded through the control endpoint
        self.webhooks = WebhookSender()  # configured by create_app
        self._limiters: dict[tuple[str, str], WindowLimiter] = {}

    # -- tokens ------------------------------------------------------------------------

    def issue_token(self, client_id: str, scopes: frozenset[str]) -> str:
        token = f"sim.{secrets.token_urlsafe(24)}"
        now = self.clock()
        self.tokens[token] = TokenGrant(client_id, scopes, now + self.token_ttl)
        self.grants.append(now)
        return token

    def grant_for(self, token: str | None) -> TokenGrant | None:
        grant = self.tokens.get(token or "")
        if grant is None or self.clock() >= grant.expires_at:
            return None
        return grant

    def expire_tokens(self) -> None:
        """Make every issued token expire now, as if an hour had passed server-side."""
        now = self.clock()
        self.tokens = {t: attrs.evolve(g, expires_at=now) for t, g in self.tokens.items()}

    # -- rate limits -------------------------------------------------------------------

    def limiter(self, client_id: str, bucket: str) -> WindowLimiter:
        key = (client_id, bucket)
        if key not in self._limiters:
            self._limiters[key] = WindowLimiter(self.limits[bucket], self.clock)
        return self._limiters[key]

    # -- debts -------------------------------------------------------------------------

    def new_id(self) -> str:
        while True:
            candidate = secrets.token_hex(6)
            if candidate not in self.debts:
                return candidate

    def now_iso(self) -> str:
        moment = dt.datetime.fromtimestamp(self.clock(), tz=dt.timezone.utc)
        return moment.isoformat(timespec="seconds")

    def internal_id_counts(self) -> collections.Counter[str | None]:
        """How many live debts carry each internal_id (1 everywhere: no duplicates)."""
        return collections.Counter(d.get("internal_id") for d in self.debts.values())

    # -- the request log ---------------------------------------------------------------

    def requests(
        self,
        *,
        bucket: str | None = None,
        method: str | None = None,
        path: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[LoggedRequest]:
        """Logged API requests, filtered; `path` matches a prefix after the base path."""
        return [
            entry
            for entry in self.log
            if (bucket is None or entry.bucket == bucket)
            and (method is None or entry.method == method.upper())
            and (path is None or entry.path.startswith(path))
            and (since is None or entry.at >= since)
            and (until is None or entry.at < until)
        ]

    def admitted(self, bucket: str, since: float, until: float) -> int:
        """Budget units admitted in ``[since, until)`` for `bucket`, over all clients."""
        return sum(
            e.cost for e in self.requests(bucket=bucket, since=since, until=until) if e.admitted
        )
