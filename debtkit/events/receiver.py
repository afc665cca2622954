"""Receiving webhooks with aiohttp: verify, drop duplicates, hand each new event on once.

`webhook_handler` builds a route handler for an existing aiohttp app; `webhook_app` builds a
whole `web.Application` with that handler at one path. Per delivery:

1. the body is read up to `max_body` bytes (larger: 413);
2. the adapter's ``parse_webhook`` (or any function of ``(body, headers, secret)``) verifies
   and translates it; a refused signature gets 401 and is logged with its reason only, never
   the body; a verified body that is not a JSON object gets 400;
3. an event id the seen-store already holds is answered 200 without calling the handler;
4. otherwise `on_event` is awaited, then the id is marked seen and the answer is 200.

`on_event` is awaited BEFORE answering, so that an event is acknowledged only once it is
handled: if it raises or exceeds `handler_timeout` (8 s, under the 10 s both providers wait)
the answer is 500 or 503, the id stays unseen, and the provider's redelivery gets another
chance. Keep `on_event` short (store or enqueue the event, then return); long work belongs
behind a queue. Deliveries of one event id are handled one at a time in one process.

Across processes (N replicas behind a load balancer), a `ClaimingSeenStore` (every built-in
store; `PostgresSeenStore` or `RedisSeenStore` for replicas on several hosts) makes step 4
claim the id first, with a lease of `claim_lease` seconds (longer than `handler_timeout`):
exactly one replica's claim succeeds and calls `on_event`; a failure releases the claim so the
redelivery is handled; a crashed replica's claim expires. A replica meeting another's live
claim polls for up to `claim_wait` seconds (the other usually finishes within milliseconds:
then 200 "duplicate"), else answers **503 with Retry-After** so that the provider delivers
again later. Why 503: both providers count only a 2xx as delivered; Debitura retries other
answers but disables the subscription on 410 and on further conditions its docs do not list,
and GetBill's retry policy is not published. A 4xx such as 409 risks being read as a
permanent refusal (no retry), so the safe reading is the status every delivery system treats
as "try again": 503, as this receiver already answers for a timed-out handler or an
unavailable store. A store without `claim` (a third party's) gets the older check-then-add,
where two simultaneous first deliveries on two replicas can both reach `on_event`.

The verification functions themselves are framework-free; only this module needs aiohttp.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Protocol

from aiohttp import web

from debtkit.errors import (
    ConfigurationError,
    DebtkitError,
    ValidationError,
    WebhookSignatureError,
)
from debtkit.events.model import CaseEvent
from debtkit.events.seen import Claim, ClaimingSeenStore, ClaimOutcome, MemorySeenStore, SeenStore

__all__ = [
    "DEFAULT_CLAIM_LEASE",
    "DEFAULT_CLAIM_WAIT",
    "DEFAULT_HANDLER_TIMEOUT",
    "DEFAULT_MAX_BODY",
    "RETRY_AFTER_BUSY",
    "EventHandler",
    "WebhookParser",
    "webhook_app",
    "webhook_handler",
]

logger = logging.getLogger("debtkit.events.receiver")

DEFAULT_MAX_BODY = 1024 * 1024  # webhook envelopes are a few KiB; a MiB is generous
DEFAULT_HANDLER_TIMEOUT = 8.0
DEFAULT_CLAIM_LEASE = 60.0  # a claim outlives any handler that stays under its timeout
DEFAULT_CLAIM_WAIT = 5.0  # plus the delivery's own work, well under the providers' 10 s
RETRY_AFTER_BUSY = 5  # seconds; the Retry-After of a 503 for an event held by another replica

ParseFunction = Callable[[bytes, Mapping[str, str], str], CaseEvent]
EventHandler = Callable[[CaseEvent], Awaitable[object]]


class _HasParseWebhook(Protocol):
    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], secret: str, *, now: float | None = None
    ) -> CaseEvent: ...


WebhookParser = _HasParseWebhook | ParseFunction


def _parse_function(parser: WebhookParser) -> ParseFunction:
    method = getattr(parser, "parse_webhook", None)
    if callable(method):
        bound: ParseFunction = method
        return bound
    if callable(parser):
        return parser
    raise TypeError("parser must be an adapter with parse_webhook or a parse function")


class _KeyedLocks:
    """One lock per key, held only while someone uses it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def _answer(status: int, outcome: str) -> web.Response:
    return web.json_response({"outcome": outcome}, status=status)


async def _claim(store: ClaimingSeenStore, event_id: str, lease: float, wait: float) -> Claim:
    """Claim `event_id`; while another receiver holds it, ask again for up to `wait` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    pause = 0.02
    while True:
        claim = await store.claim(event_id, lease)
        left = deadline - loop.time()
        if claim.outcome is not ClaimOutcome.BUSY or left <= 0:
            return claim
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, 0.5)


async def _release(store: ClaimingSeenStore, claim: Claim) -> None:
    try:
        await asyncio.shield(store.release(claim))
    except Exception:  # the claim expires after its lease instead
        logger.exception("seen-store could not release the claim on %s", claim.event_id)


def webhook_handler(
    parser: WebhookParser,
    secret: str,
    on_event: EventHandler,
    *,
    seen: SeenStore | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    handler_timeout: float | None = DEFAULT_HANDLER_TIMEOUT,
    claim_lease: float = DEFAULT_CLAIM_LEASE,
    claim_wait: float = DEFAULT_CLAIM_WAIT,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A POST handler that verifies deliveries and calls `on_event` once per new event.

    `parser` is an adapter (its ``parse_webhook`` is used) or a function
    ``(body, headers, secret) -> CaseEvent``; bind extra options such as Debitura's
    ``tolerance`` with `functools.partial`. `seen` defaults to a `MemorySeenStore`; use a
    `SQLiteSeenStore` (or a shared store) to stay duplicate-free across restarts, and a
    `PostgresSeenStore` or `RedisSeenStore` shared by all replicas of a receiver.
    `claim_lease` must exceed `handler_timeout`.
    """
    parse = _parse_function(parser)
    store: SeenStore = seen if seen is not None else MemorySeenStore()
    claiming = store if isinstance(store, ClaimingSeenStore) else None
    locks = _KeyedLocks()
    if not claim_lease > (handler_timeout or 0.0):
        raise ConfigurationError("claim_lease must be positive and longer than handler_timeout")
    if not claim_wait >= 0:
        raise ConfigurationError("claim_wait must be >= 0 seconds")

    async def handle_claimed(event: CaseEvent, claims: ClaimingSeenStore) -> web.Response:
        try:
            claim = await _claim(claims, event.event_id, claim_lease, claim_wait)
        except Exception:
            logger.exception("seen-store failed; the delivery will be retried")
            return _answer(503, "unavailable")
        if claim.outcome is ClaimOutcome.DONE:
            logger.debug("webhook duplicate %s dropped", event.event_id)
            return _answer(200, "duplicate")
        if claim.outcome is ClaimOutcome.BUSY:
            logger.info("webhook %s is being handled by another receiver", event.event_id)
            busy = _answer(503, "in_progress")
            busy.headers["Retry-After"] = str(RETRY_AFTER_BUSY)
            return busy
        try:
            failure = await call(event)
        except BaseException:  # cancelled: let a redelivery have it at once
            await _release(claims, claim)
            raise
        if failure is not None:
            await _release(claims, claim)
            return failure
        return await mark_handled(event)

    async def call(event: CaseEvent) -> web.Response | None:
        """None when `on_event` succeeded, else the answer that asks for a redelivery."""
        try:
            await asyncio.wait_for(on_event(event), handler_timeout)
        except asyncio.TimeoutError:
            logger.error(
                "webhook handler exceeded %ss for %s %s; not acknowledged",
                handler_timeout, event.provider, event.event_id,
            )  # fmt: skip
            return _answer(503, "handler_timeout")
        except Exception:
            logger.exception(
                "webhook handler failed for %s %s; not acknowledged",
                event.provider, event.event_id,
            )  # fmt: skip
            return _answer(500, "handler_failed")
        return None

    async def mark_handled(event: CaseEvent) -> web.Response:
        try:
            await store.add(event.event_id)
        except Exception:
            # Handled but not recorded: a redelivery may be handled again (at least once).
            logger.exception("seen-store failed after handling %s", event.event_id)
        return _answer(200, "accepted")

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await _read_limited(request, max_body)
        if body is None:
            logger.warning("webhook refused: body larger than %d bytes", max_body)
            return _answer(413, "too_large")
        try:
            event = parse(body, request.headers, secret)
        except WebhookSignatureError as exc:
            logger.warning(
                "webhook refused from %s: %s %s", request.remote, exc.provider, exc.reason
            )
            return _answer(401, "refused")
        except ValidationError as exc:
            logger.warning("webhook refused from %s: %s", request.remote, exc)
            return _answer(400, "invalid")
        except DebtkitError as exc:  # the receiver's own configuration, e.g. the secret
            logger.error("webhook not verified: %s", exc)
            return _answer(500, "error")
        async with locks.hold(event.event_id):
            if claiming is not None:
                return await handle_claimed(event, claiming)
            try:
                if await store.contains(event.event_id):
                    logger.debug("webhook duplicate %s dropped", event.event_id)
                    return _answer(200, "duplicate")
            except Exception:
                logger.exception("seen-store failed; the delivery will be retried")
                return _answer(503, "unavailable")
            return await call(event) or await mark_handled(event)

    return handle


def webhook_app(
    parser: WebhookParser,
    secret: str,
    on_event: EventHandler,
    *,
    path: str = "/",
    seen: SeenStore | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    handler_timeout: float | None = DEFAULT_HANDLER_TIMEOUT,
    claim_lease: float = DEFAULT_CLAIM_LEASE,
    claim_wait: float = DEFAULT_CLAIM_WAIT,
) -> web.Application:
    """A `web.Application` receiving deliveries with `webhook_handler` at ``POST path``."""
    app = web.Application(client_max_size=max_body)
    app.router.add_post(
        path,
        webhook_handler(
            parser, secret, on_event,
            seen=seen, max_body=max_body, handler_timeout=handler_timeout,
            claim_lease=claim_lease, claim_wait=claim_wait,
        ),
    )  # fmt: skip
    return app
