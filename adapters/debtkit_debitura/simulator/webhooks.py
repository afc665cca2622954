"""Simulated webhook subscriptions: storage, signing, delivery with retries, log and replay.

The HTTP routes over this hub are `simulator.webhook_routes`.

Readings taken where the documents leave it open (each one the safe side):

- **URLs.** Debitura accepts only public HTTPS URLs on ports 443/8443. A simulator runs on
  loopback over plain HTTP, and so do the receivers a test subscribes, so that rule is
  relaxed by ``allow_insecure_webhook_urls`` (True by default here; False enforces it).
- **Signing**, as documented: ``X-Debitura-Signature: t=<unix>,v1=<hex>``, the key the
  base64-decoded secret, HMAC-SHA256 over ``<t>.`` + the exact body bytes, lowercase hex;
  with ``X-Debitura-Timestamp`` (= t) and ``X-Debitura-Event``. Replays add
  ``X-Debitura-Replay: true``, test deliveries ``X-Debitura-Test: true``.
- **Events.** One event-log row (``WebhookEventDto``) per event and subscription; the
  envelope's ``id`` is that row's id, so a retry or a replay carries the same id.
  ``isTestMode`` subscriptions get test-case events only, live ones production events only.
  Events cannot be changed after creation (the PATCH prose): a PATCH naming other events is
  a 400.
- **Delivery**: any 2xx is success; 410 Gone disables the subscription (``disabledReason``)
  and stops; anything else (another status, a refused connection, a 10 s timeout) is retried
  after each of ``retry_delays`` in turn, then given up (``lastError`` says why).
  ``duplicate_deliveries`` sends a delivered event that many times more, as when a
  receiver's 2xx was lost on the way back: a receiver must still see it once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import attrs
from aiohttp import web

from debtkit import jsonutil
from debtkit_debitura.simulator.state import SimulatorState, StoredCase, timestamp

__all__ = [
    "EVENT_TYPES",
    "HUB",
    "Delivery",
    "Subscription",
    "WebhookHub",
    "case_data",
    "sign",
]

EVENT_TYPES = frozenset(
    {
        "case.created",
        "case.updated",
        "case.closed",
        "payment.created",
        "payment.deleted",
        "chat.created",
    }
)
_URL_MAX = 1024
_TIMEOUT = 10.0


def sign(secret: str, t: int, body: bytes) -> str:
    """The ``X-Debitura-Signature`` value for `body` sent at unix time `t`."""
    key = base64.b64decode(secret)
    digest = hmac.new(key, str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


@attrs.define
class Subscription:
    id: str
    url: str
    events: list[str]
    is_test_mode: bool
    secret: str = attrs.field(repr=False)
    created: str = ""
    updated: str = ""
    is_active: bool = True
    disabled_reason: str | None = None

    def dto(self, *, with_secret: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "isActive": self.is_active,
            "createdUtc": self.created,
            "updatedUtc": self.updated,
            "disabledReason": self.disabled_reason,
            "secret": self.secret if with_secret else None,
            "isTestMode": self.is_test_mode,
        }


@attrs.define
class Delivery:
    """One event for one subscription: an event-log row and the exact body it carries."""

    id: str
    subscription_id: str
    case_id: str | None
    event_type: str
    body: bytes = attrs.field(repr=False)
    created: str = ""
    delivered: str | None = None
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    sent: int = 0  # HTTP requests made, replays and duplicates included

    def dto(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subscriptionId": self.subscription_id,
            "caseId": self.case_id,
            "eventType": self.event_type,
            "payload": self.body.decode(),
            "createdAt": self.created,
            "deliveredAt": self.delivered,
            "attemptCount": self.attempts,
            "lastResponseCode": self.last_status,
            "lastError": self.last_error,
        }


@attrs.define
class WebhookHub:
    """The simulator's webhook side; public so tests can inspect and wait on it."""

    state: SimulatorState
    allow_insecure_urls: bool = True
    retry_delays: Sequence[float] = (1.0, 5.0, 30.0)
    duplicate_deliveries: int = 0
    subscriptions: dict[str, Subscription] = attrs.field(factory=dict)
    log: list[Delivery] = attrs.field(factory=list)
    origin: str = "http://127.0.0.1"
    _tasks: set[asyncio.Task[None]] = attrs.field(factory=set)
    _session: aiohttp.ClientSession | None = None

    # -- dispatch ----------------------------------------------------------------------------

    def dispatch(self, event_type: str, case: StoredCase, data: Mapping[str, Any]) -> int:
        """Enqueue `event_type` for every matching active subscription; how many."""
        test_case = bool(case.invoice.get("isTestCase"))
        targets = [
            s
            for s in self.subscriptions.values()
            if s.is_active and s.is_test_mode == test_case and event_type in s.events
        ]
        for subscription in targets:
            self.enqueue(subscription, event_type, case, data)
        return len(targets)

    def enqueue(
        self,
        subscription: Subscription,
        event_type: str,
        case: StoredCase,
        data: Mapping[str, Any],
    ) -> Delivery:
        event_id = str(uuid.uuid4())
        case_id = str(case.invoice["id"])
        envelope = {
            "id": event_id,
            "specVersion": "1.0",
            "event": event_type,
            "timestamp": timestamp(self.state.clock()),
            "data": dict(data),
            "links": {"self": f"{self.origin}/cases/{case_id}"},
        }
        body = jsonutil.dumps(envelope).encode()
        delivery = Delivery(
            event_id, subscription.id, case_id, event_type, body, timestamp(self.state.clock())
        )
        self.log.append(delivery)
        self._start(delivery, replay=False)
        return delivery

    def replay(self, delivery: Delivery) -> None:
        delivery.attempts = 0
        delivery.delivered = None
        self._start(delivery, replay=True)

    def _start(self, delivery: Delivery, *, replay: bool) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a case seeded outside the server: logged, never sent
            delivery.last_error = "not sent: no event loop running"
            return
        task = loop.create_task(self._deliver(delivery, replay=replay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self, timeout: float = 60.0) -> None:
        """Wait until every delivery in flight (retries included) has finished."""

        async def drain() -> None:
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

        await asyncio.wait_for(drain(), timeout)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- delivery ----------------------------------------------------------------------------

    async def _deliver(self, delivery: Delivery, *, replay: bool) -> None:
        delays = [0.0, *self.retry_delays]
        for delay in delays:
            if delay:
                await asyncio.sleep(delay)
            subscription = self.subscriptions.get(delivery.subscription_id)
            if subscription is None or not subscription.is_active:
                delivery.last_error = "subscription deleted or disabled"
                return
            delivery.attempts += 1
            status, error = await self.post(subscription, delivery, replay=replay)
            delivery.last_status, delivery.last_error = status, error
            if status is not None and 200 <= status < 300:
                delivery.delivered = timestamp(self.state.clock())
                for _ in range(self.duplicate_deliveries):
                    await self.post(subscription, delivery, replay=replay)
                return
            if status == 410:
                subscription.is_active = False
                subscription.disabled_reason = "Endpoint returned 410 Gone"
                subscription.updated = timestamp(self.state.clock())
                return

    async def post(
        self,
        subscription: Subscription,
        delivery: Delivery,
        *,
        replay: bool = False,
        test: bool = False,
    ) -> tuple[int | None, str | None]:
        """One signed POST of `delivery` to the subscription's URL: (status, error)."""
        t = int(self.state.clock())
        headers = {
            "Content-Type": "application/json",
            "X-Debitura-Signature": sign(subscription.secret, t, delivery.body),
            "X-Debitura-Timestamp": str(t),
            "X-Debitura-Event": delivery.event_type,
        }
        if replay:
            headers["X-Debitura-Replay"] = "true"
        if test:
            headers["X-Debitura-Test"] = "true"
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=_TIMEOUT))
        delivery.sent += 1
        try:
            async with self._session.post(
                subscription.url, data=delivery.body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                error = None if 200 <= response.status < 300 else f"HTTP {response.status}"
                return response.status, error
        except asyncio.TimeoutError:
            return None, "TimeoutError: no answer within 10 seconds"
        except aiohttp.ClientError as exc:
            return None, f"NetworkError: {type(exc).__name__}"

    # -- URLs ------------------------------------------------------------------------------

    def url_problem(self, url: object) -> str | None:
        if not isinstance(url, str) or not url or len(url) > _URL_MAX:
            return f"url is required, at most {_URL_MAX} characters"
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            return "url must be an absolute http(s) URL"
        if self.allow_insecure_urls:
            return None
        if parts.scheme != "https":
            return "url must use HTTPS"
        if (parts.port or 443) not in {443, 8443}:
            return "url must use port 443 or 8443"
        host = parts.hostname
        if host == "localhost" or host.endswith(".localhost") or host == "169.254.169.254":
            return "url must be publicly reachable"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        if not address.is_global:
            return "url must be publicly reachable (private addresses are blocked)"
        return None


HUB = web.AppKey("debitura_webhook_hub", WebhookHub)


def case_data(case: StoredCase, **extra: Any) -> dict[str, Any]:
    """The ``data`` member every case event carries (the documented example's fields)."""
    invoice = case.invoice
    debtor = invoice.get("debtor") or {}
    data = {
        "caseId": invoice["id"],
        "reference": invoice.get("reference"),
        "creditorReference": invoice.get("creditorReference"),
        "status": invoice.get("lifecycle"),
        "amount": invoice.get("grossAmount"),
        "currency": invoice.get("currency"),
        "debtorName": debtor.get("name"),
    }
    if invoice.get("isTestCase"):
        data["classification"] = "test"
    data.update(extra)
    return data
