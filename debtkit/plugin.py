"""The adapter plugin API: what a provider package implements so the core can use it.

An adapter is a translator plus a factory. It maps a `Debt` to its wire request and its wire
records to `Case`, names its policy rules, parses its error envelopes and rate-limit headers,
describes its limits and capabilities, builds its auth from credentials, and `connect()`s a
`ProviderClient` that speaks the neutral operations. Adapters are found through the
entry-point group ``debtkit.adapters`` (see `debtkit.registry`) and use nothing but this
module and the other public core modules, exactly as a third party would.
"""

from __future__ import annotations

import enum
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

import attrs

from debtkit.errors import APIStatusError, DebtkitError
from debtkit.events.model import CaseEvent
from debtkit.model import Case, Debt
from debtkit.transport import Response
from debtkit.validation import CheckedDebt, PolicyRule

if TYPE_CHECKING:
    import aiohttp
    from aiohttp import web

__all__ = [
    "Adapter",
    "Capability",
    "ItemResult",
    "ProviderClient",
    "RateLimit",
    "RateObservation",
]


class Capability(str, enum.Enum):
    CREATE = "create"
    BATCH_CREATE = "batch_create"  # many debts in one request
    IDEMPOTENCY_KEY = "idempotency_key"  # the provider deduplicates retried creates itself
    GET = "get"
    FIND_BY_REFERENCE = "find_by_reference"
    LIST = "list"
    UPDATE = "update"
    DELETE = "delete"
    PREVIEW = "preview"  # a dry run the provider evaluates
    SIMULATOR = "simulator"


@attrs.frozen
class RateLimit:
    """One documented limit: at most `limit` requests of `request_classes` per `window` seconds.

    ``sliding`` means any rolling window of that length; ``fixed`` means windows aligned to
    multiples of `window` since the Unix epoch (on the hour, on the UTC day).

    `segment` (sliding only) says the server counts in segments of that many seconds, aligned
    to multiples of `segment` since the Unix epoch: a request is counted in the segment it
    arrived in, and counts until that whole segment has left the window, so up to `segment`
    seconds longer than an exact log would (Debitura's minute: 10-second segments). Budgets
    hold each slot accordingly.
    """

    name: str
    limit: int
    window: float
    kind: Literal["sliding", "fixed"] = "sliding"
    request_classes: frozenset[str] = frozenset({"read", "write"})
    segment: float | None = None

    def scaled(self, time_scale: float) -> RateLimit:
        """The same limit with time compressed: a 3600 s window at scale 3600 lasts 1 s."""
        segment = None if self.segment is None else self.segment / time_scale
        return attrs.evolve(self, window=self.window / time_scale, segment=segment)

    def released(self, received: float) -> float:
        """When the server stops counting a request it received at `received` (epoch
        seconds): a window later, or, counted in segments, a window after its segment ends.
        For sliding limits."""
        if self.segment is None:
            return received + self.window
        return (math.floor(received / self.segment) + 1) * self.segment + self.window


@attrs.frozen
class RateObservation:
    """What a response's rate-limit headers said about one budget."""

    limit: int | None
    remaining: int | None
    reset_at: float | None  # Unix epoch seconds
    window: float | None
    request_class: str | None = None


@attrs.frozen
class ItemResult:
    """The outcome of one debt in a multi-debt write, correlated to its input by `index`.

    Exactly one of `case` and `error` is set. `error` is a `ValidationError` (refused locally,
    never sent), an `APIStatusError` (the provider refused it), or an `AmbiguousWriteError`
    (it may or may not exist at the provider).
    """

    index: int
    creditor_reference: str
    case: Case | None = None
    error: DebtkitError | None = None

    @property
    def ok(self) -> bool:
        return self.case is not None


_Client = TypeVar("_Client", bound="ProviderClient")


@runtime_checkable
class ProviderClient(Protocol):
    """The neutral operations; an async context manager that closes what it opened.

    `async with adapter.connect(...) as client` types `client` as the connected client itself.
    """

    provider: str

    async def __aenter__(self: _Client) -> _Client: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    def check(self, debt: Debt) -> CheckedDebt:
        """Objective and policy validation, normalised, without any request."""
        ...

    async def create(self, debt: Debt) -> Case:
        """Create `debt` exactly once under its ``creditor_reference``.

        Raises `ValidationError` only when refusing the debt before any request; once the
        request went out, an answer that cannot be read is `MalformedResponseError` (the
        outcome is unknown, which `debtkit.bulk` records as ambiguous and looks up), a
        reference the provider already holds is `DuplicateError`.
        """
        ...

    async def get(self, provider_id: str) -> Case: ...

    async def find(self, creditor_reference: str) -> Case | None: ...

    def cases(self, **filters: Any) -> AsyncIterator[Case]: ...


@runtime_checkable
class Adapter(Protocol):
    name: str
    capabilities: frozenset[Capability]
    # Environment variables the CLI reads credentials from, by credential name.
    credential_env: Mapping[str, str]

    def rate_limits(self) -> tuple[RateLimit, ...]: ...

    def policy_rules(self) -> Sequence[PolicyRule]: ...

    def to_wire(self, debt: Debt) -> dict[str, Any]: ...

    def to_case(self, record: Mapping[str, Any]) -> Case: ...

    def parse_error(self, response: Response) -> APIStatusError: ...

    def parse_rate_headers(self, response: Response) -> RateObservation | None: ...

    def parse_webhook(
        self,
        body: bytes,
        headers: Mapping[str, str],
        secret: str,
        *,
        now: float | None = None,
    ) -> CaseEvent:
        """Verify one webhook delivery and translate it into a neutral `CaseEvent`.

        `body` is the raw request body exactly as received, `headers` the request headers
        (names matched case-insensitively), `secret` the webhook secret, `now` the clock in
        Unix seconds for providers that sign a timestamp. A delivery that fails verification
        raises `WebhookSignatureError`; a verified body that is not a JSON object raises
        `ValidationError`; an event type the adapter does not know becomes
        `EventType.UNKNOWN`. Framework-free: any web framework can call it. An adapter whose
        provider has no webhooks raises `UnsupportedFeatureError`.
        """
        ...

    def connect(
        self,
        credentials: Mapping[str, str],
        *,
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        **options: Any,
    ) -> ProviderClient: ...

    def simulator(self, **options: Any) -> web.Application: ...
