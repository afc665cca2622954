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
behind a queue. Deliveries of one event id are handled one at a time, so concurrent
redeliveries in one process never reach `on_event` twice; across processes a shared
seen-store bounds it to the rare race of two simultaneous first deliveries.

The verification functions themselves are framework-free; only this module needs aiohttp.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Protocol

from aiohttp import web

from debtkit.errors import DebtkitError, ValidationError, WebhookSignatureError
from debtkit.events.model import CaseEvent
from debtkit.events.seen import MemorySeenStore, SeenStore

__all__ = [
    "DEFAULT_HANDLER_TIMEOUT",
    "DEFAULT_MAX_BODY",
    "EventHandler",
    "WebhookParser",
    "webhook_app",
    "webhook_handler",
]

logger = logging.getLogger("debtkit.events.receiver")

DEFAULT_MAX_BODY = 1024 * 1024  # webhook envelopes are a few KiB; a MiB is generous
DEFAULT_HANDLER_TIMEOUT = 8.0

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


def webhook_handler(
    parser: WebhookParser,
    secret: str,
    on_event: EventHandler,
    *,
    seen: SeenStore | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    handler_timeout: float | None = DEFAULT_HANDLER_TIMEOUT,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A POST handler that verifies deliveries and calls `on_event` once per new event.

    `parser` is an adapter (its ``parse_webhook`` is used) or a function
    ``(body, headers, secret) -> CaseEvent``; bind extra options such as Debitura's
    ``tolerance`` with `functools.partial`. `seen` defaults to a `MemorySeenStore`; use a
    `SQLiteSeenStore` (or a shared store) to stay duplicate-free across restarts.
    """
    parse = _parse_function(parser)
    store: SeenStore = seen if seen is not None else MemorySeenStore()
    locks = _KeyedLocks()

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
            try:
                if await store.contains(event.event_id):
                    logger.debug("webhook duplicate %s dropped", event.event_id)
                    return _answer(200, "duplicate")
            except Exception:
                logger.exception("seen-store failed; the delivery will be retried")
                return _answer(503, "unavailable")
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
            try:
                await store.add(event.event_id)
            except Exception:
                # Handled but not recorded: a redelivery may be handled again (at least once).
                logger.exception("seen-store failed after handling %s", event.event_id)
            return _answer(200, "accepted")

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
) -> web.Application:
    """A `web.Application` receiving deliveries with `webhook_handler` at ``POST path``."""
    app = web.Application(client_max_size=max_body)
    app.router.add_post(
        path,
        webhook_handler(
            parser, secret, on_event,
            seen=seen, max_body=max_body, handler_timeout=handler_timeout,
        ),
    )  # fmt: skip
    return app
