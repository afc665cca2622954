"""The GetBill simulator's webhook deliveries and its simulator-only control endpoints.

GetBill documents the payload (``{"type", "data", "changes"?}``) and the signature
(``X-GetBill-Signature``: hex HMAC-SHA256 of the raw body keyed with the secret); where the
webhook URL is registered, the retry schedule and delivery order are not documented. The
simulator's readings: one URL and secret configured on the simulator (`create_app` options
``webhook_url``/``webhook_secret``, or ``POST /_simulator/webhook``), deliveries in event order
from one background worker, a 2xx within the timeout is success, anything else is retried
up to ``webhook_attempts`` times with doubling delays from ``webhook_retry_delay``.
Redeliveries carry the identical bytes (GetBill has no timestamp or id to change).

Control endpoints, **simulator only, not part of GetBill's API** (no token, not rate-limited):

- ``POST /_simulator/webhook`` ``{url, secret}``: where to deliver;
- ``POST /_simulator/debts/{id}/status`` ``{status}``: any status, as GetBill's workflows
  would set it, delivering ``debt.status_changed``;
- ``POST /_simulator/debts/{id}/payments`` ``{amount, currency?, method?, failed?}``:
  records a payment and delivers ``payment.received`` (``payment.failed`` with
  ``failed: true``); once payments reach the debt's amount the debt becomes
  ``status.default.paid`` (``debt.status_changed`` with ``data.status_change_context``). A
  partial payment changes no status: GetBill's docs do not say when ``partial`` is set;
- ``POST /_simulator/webhooks/redeliver`` ``{last?: n}``: delivers the last n events (all
  when absent) again, so receivers' deduplication can be tested; the ``webhook_duplicates``
  option does the same for every event.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
import attrs

from debtkit import jsonutil

__all__ = ["OutgoingEvent", "WebhookAttempt", "WebhookSender"]

logger = logging.getLogger("debtkit.getbill.simulator")


@attrs.frozen
class OutgoingEvent:
    index: int  # position in the simulator's event log
    event_type: str
    body: bytes = attrs.field(repr=False)


@attrs.frozen
class WebhookAttempt:
    event_index: int
    event_type: str
    attempt: int  # 1 for the first try of a delivery
    status: int | None  # the receiver's HTTP status, None when no answer came
    redelivery: bool = False


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Queues events and delivers them, signed, to the configured URL with retries."""

    def __init__(
        self,
        *,
        url: str | None = None,
        secret: str | None = None,
        attempts: int = 5,
        retry_delay: float = 0.5,
        timeout: float = 10.0,
        duplicates: int = 0,
    ) -> None:
        self.url = url
        self.secret = secret
        self.attempts = max(attempts, 1)
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.duplicates = duplicates
        self.events: list[OutgoingEvent] = []
        self.attempt_log: list[WebhookAttempt] = []
        self._queue: asyncio.Queue[tuple[OutgoingEvent, bool]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"WebhookSender(url={self.url!r}, events={len(self.events)})"

    @property
    def active(self) -> bool:
        return bool(self.url and self.secret)

    def configure(self, url: str | None, secret: str | None) -> None:
        self.url, self.secret = url, secret

    def emit(
        self, event_type: str, data: Mapping[str, Any], changes: Mapping[str, Any] | None = None
    ) -> OutgoingEvent | None:
        """With a URL configured, log an event and queue its delivery (and duplicates).

        Without one nothing is kept, so bulk imports into the simulator cost no memory here.
        """
        if not self.active or self._queue is None:
            return None
        payload: dict[str, Any] = {"type": event_type, "data": dict(data)}
        if changes:
            payload["changes"] = dict(changes)
        event = OutgoingEvent(len(self.events), event_type, jsonutil.dumps(payload).encode())
        self.events.append(event)
        self._queue.put_nowait((event, False))
        for _ in range(self.duplicates):
            self._queue.put_nowait((event, True))
        return event

    def redeliver(self, last: int | None = None) -> int:
        """Queue the last `last` events (all when None) once more; how many were queued."""
        if not self.active or self._queue is None:
            return 0
        chosen = self.events if last is None else self.events[-last:] if last > 0 else []
        for event in chosen:
            self._queue.put_nowait((event, True))
        return len(chosen)

    async def idle(self) -> None:
        """Return once every queued delivery has succeeded or used up its attempts."""
        queue = self._queue
        if queue is not None:
            await queue.join()

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop delivering; what is still queued is dropped, so `idle()` never hangs."""
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        queue, self._queue = self._queue, None
        while queue is not None and not queue.empty():
            queue.get_nowait()
            queue.task_done()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            event, redelivery = await self._queue.get()
            try:
                await self._deliver(event, redelivery)
            except Exception:  # a simulator bug must not stop later deliveries
                logger.exception("webhook delivery %d failed", event.index)
            finally:
                self._queue.task_done()

    async def _deliver(self, event: OutgoingEvent, redelivery: bool) -> None:
        delay = self.retry_delay
        for attempt in range(1, self.attempts + 1):
            url, secret, session = self.url, self.secret, self._session
            if not url or not secret or session is None:
                return
            headers = {
                "Content-Type": "application/json",
                "X-GetBill-Signature": sign(secret, event.body),
            }
            status: int | None = None
            try:
                async with session.post(url, data=event.body, headers=headers) as response:
                    status = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError):
                status = None
            self.attempt_log.append(
                WebhookAttempt(event.index, event.event_type, attempt, status, redelivery)
            )
            if status is not None and 200 <= status < 300:
                return
            if attempt < self.attempts:
                await asyncio.sleep(delay)
                delay *= 2
        logger.warning("webhook %d (%s) gave up after %d attempts", event.index,
                       event.event_type, self.attempts)  # fmt: skip


def parse_amount(value: object) -> Decimal | None:
    """A positive finite amount from JSON (number or string), else None."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount > 0 else None
