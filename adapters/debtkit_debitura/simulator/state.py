"""The simulator's memory: cases, idempotency records, limiters and a timestamped request log.

Everything a test may want to assert on is public here (`SimulatorState.cases`,
`SimulatorState.requests`, `count_requests`...), and the switches a test may flip while the
server runs (contracts, coverage, blocking) are plain attributes.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

import attrs

from debtkit.plugin import RateLimit
from debtkit.simulator import WindowLimiter

__all__ = [
    "CONTRACT_ERRORS",
    "LoggedRequest",
    "SimulatorState",
    "StoredCase",
    "StoredResponse",
    "utc_today",
]

# Unsigned contract → (business error type, message, solution URL).
CONTRACT_ERRORS: dict[str, tuple[str, str, str]] = {
    "sdca": (
        "MissingDebtCollectionContract",
        "Standard Debt Collection Agreement must be signed before creating cases.",
        "https://app.debitura.com/settings/contracts",
    ),
    "poa": (
        "MissingPowerOfAttorney",
        "Power of Attorney with the collection partner must be signed before creating cases.",
        "https://app.debitura.com/settings/power-of-attorney",
    ),
}


def utc_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


@attrs.define
class LoggedRequest:
    """One request that reached the simulator (injected resets and 500s never do)."""

    at: float  # epoch seconds, from the simulator's clock
    method: str
    path: str
    query: str = ""  # the raw query string
    status: int = 0
    authenticated: bool = False
    idempotency_key: str | None = None
    creditor_reference: str | None = None
    replayed: bool = False  # answered from the idempotency store


@attrs.define
class StoredCase:
    invoice: dict[str, Any]  # the InvoiceDto, exactly as served
    debtor_id: str
    sequence: int
    tag: str | None = None  # POST /cases "tag" (test cases; DELETE /test/cases?tag= uses it)


@attrs.frozen
class StoredResponse:
    fingerprint: str  # canonical JSON of the request body
    status: int
    body: Any


@attrs.define
class SimulatorState:
    api_keys: frozenset[str]
    limits: tuple[RateLimit, ...]
    today: Callable[[], dt.date] = utc_today
    clock: Callable[[], float] = time.time
    unsigned_contracts: set[str] = attrs.field(factory=set)  # "sdca", "poa"
    uncovered_countries: set[str] = attrs.field(factory=set)  # alpha-2 codes
    creditor_blocked: bool = False
    divisions: dict[str, str] = attrs.field(factory=dict)  # id → name
    cases: dict[str, StoredCase] = attrs.field(factory=dict)
    idempotency: dict[tuple[str, str], StoredResponse] = attrs.field(factory=dict)
    requests: list[LoggedRequest] = attrs.field(factory=list)
    # Called with each case just created (the webhook hub fires case.created from here).
    case_listeners: list[Callable[[StoredCase], object]] = attrs.field(factory=list)
    _limiters: dict[str | None, tuple[WindowLimiter, ...]] = attrs.field(factory=dict)
    _debtors: dict[tuple[str, str, str], str] = attrs.field(factory=dict)
    _sequence: int = 0  # creation order survives deleted (test) cases
    # folded creditor reference -> case id, and case reference -> case id: lookups by
    # reference were a scan of every case, which made a 20,000-case import four times slower
    _by_creditor_reference: dict[str, str] = attrs.field(factory=dict)
    _by_case_reference: dict[str, str] = attrs.field(factory=dict)

    # -- rate limits (per API key; unauthenticated requests share one bucket) ---------------

    def admit(self, api_key: str | None) -> float | None:
        """None if the request may pass (and is counted), else seconds until it may."""
        limiters = self._limiters.get(api_key)
        if limiters is None:
            limiters = tuple(WindowLimiter(rule, self.clock) for rule in self.limits)
            self._limiters[api_key] = limiters
        now = self.clock()
        blocked = [limiter for limiter in limiters if limiter.remaining(now) <= 0]
        if blocked:
            return max(limiter.retry_after(now) for limiter in blocked)
        for limiter in limiters:
            limiter.try_acquire()
        return None

    # -- cases -------------------------------------------------------------------------------

    def by_creditor_reference(self, reference: str) -> StoredCase | None:
        # Chosen reading: Debitura's store compares references case-insensitively (SQL
        # Server's default collation), for uniqueness and lookup alike.
        return self._indexed(self._by_creditor_reference, reference.casefold())

    def by_case_reference(self, reference: str) -> StoredCase | None:
        return self._indexed(self._by_case_reference, reference.upper())

    def _indexed(self, index: dict[str, str], key: str) -> StoredCase | None:
        case_id = index.get(key)
        stored = self.cases.get(case_id) if case_id is not None else None
        if case_id is not None and stored is None:  # deleted (a test case): forget it
            del index[key]
        return stored

    def debtor_id(self, debtor: dict[str, Any]) -> str:
        """Debitura keeps debtors apart from cases; the same debtor gets the same id."""
        key = (
            str(debtor.get("type", "")).casefold(),
            str(debtor.get("name", "")).casefold(),
            str(debtor.get("countryAlpha2", "")).casefold(),
        )
        return self._debtors.setdefault(key, str(uuid.uuid4()))

    def add_case(
        self, invoice: dict[str, Any], debtor_id: str, tag: str | None = None
    ) -> StoredCase:
        stored = StoredCase(invoice, debtor_id, self._sequence, tag)
        self._sequence += 1
        case_id = str(invoice["id"])
        self.cases[case_id] = stored
        if invoice.get("creditorReference"):
            self._by_creditor_reference[str(invoice["creditorReference"]).casefold()] = case_id
        if invoice.get("reference"):
            self._by_case_reference[str(invoice["reference"])] = case_id
        for listener in self.case_listeners:
            listener(stored)
        return stored

    def set_lifecycle(self, case_id: str, lifecycle: str, close_code: str | None = None) -> None:
        """Move a case on, as collection would (tests drive the lifecycle with this)."""
        invoice = self.cases[case_id].invoice
        invoice["lifecycle"] = lifecycle
        invoice["closeCode"] = close_code
        invoice["dateUpdated"] = timestamp(self.clock())

    # -- the request log ---------------------------------------------------------------------

    def count_requests(
        self,
        *,
        start: float | None = None,
        end: float | None = None,
        method: str | None = None,
        path: str | None = None,
        statuses: Collection[int] | None = None,
    ) -> int:
        """Requests logged in [start, end) matching the method, path prefix and statuses."""
        return len(list(self._select(start, end, method, path, statuses)))

    def _select(
        self,
        start: float | None,
        end: float | None,
        method: str | None,
        path: str | None,
        statuses: Collection[int] | None,
    ) -> Iterable[LoggedRequest]:
        for entry in self.requests:
            if start is not None and entry.at < start:
                continue
            if end is not None and entry.at >= end:
                continue
            if method is not None and entry.method != method.upper():
                continue
            if path is not None and not entry.path.startswith(path):
                continue
            if statuses is not None and entry.status not in statuses:
                continue
            yield entry

    def created_references(self) -> Sequence[str]:
        """The creditor reference of every stored case, in creation order."""
        ordered = sorted(self.cases.values(), key=lambda c: c.sequence)
        return [str(c.invoice.get("creditorReference")) for c in ordered]


def timestamp(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
