"""`client.webhooks`: Debitura's webhook subscriptions, their event log and replays.

- `create` answers the only `WebhookSubscription` that carries the signing secret: Debitura
  returns it on creation (and when `update(regenerate_secret=True)` makes a new one), never
  again. Store it then. The secret never appears in a `repr` or a log line.
- `events(case_id)` reads ``GET /webhooks/events`` (``caseId`` is required there, newest
  first, unpaged); rows appear asynchronously, seconds after the event.
- `replay_event` re-enqueues one logged event as attempt 1 with its original payload. The
  older ``POST /webhooks/{id}/replay`` is deprecated and not offered.

Debitura accepts only public HTTPS URLs (ports 443/8443); the URL is not checked here, since
the rule is the server's to apply and a simulator may relax it.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Collection
from typing import Any

import attrs

from debtkit.errors import ConfigurationError
from debtkit.transport import Request
from debtkit_debitura.calls import Resource, answer, path, read, records, segment, structure

__all__ = [
    "EVENT_TYPES",
    "ReplayedEvent",
    "WebhookEventRecord",
    "WebhookSubscription",
    "WebhookTestResult",
    "Webhooks",
]

EVENT_TYPES = (
    "case.created",
    "case.updated",
    "case.closed",
    "payment.created",
    "payment.deleted",
    "chat.created",
)


@attrs.frozen
class WebhookSubscription:
    """``WebhookDto``. `secret` is set only on the answer to create (or a regeneration)."""

    id: str
    url: str | None = None
    events: tuple[str, ...] = ()
    is_active: bool = False
    created_utc: dt.datetime | None = None
    updated_utc: dt.datetime | None = None
    disabled_reason: str | None = None
    secret: str | None = attrs.field(default=None, repr=False)
    is_test_mode: bool = False


@attrs.frozen
class WebhookTestResult:
    """``TestResultDto``: how a synthetic ``case.created`` delivery went."""

    success: bool = False
    http_status_code: int | None = None
    duration_ms: int | None = None
    error_message: str | None = None
    error_category: str | None = None  # TimeoutError, NetworkError, SslError, HttpError...
    test_payload: Any = attrs.field(default=None, repr=False)


@attrs.frozen
class WebhookEventRecord:
    """``WebhookEventDto``: one event dispatched to one subscription, and its delivery."""

    id: str
    subscription_id: str | None = None
    case_id: str | None = None
    event_type: str | None = None
    payload: str | None = attrs.field(default=None, repr=False)  # the JSON body delivered
    created_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    attempt_count: int = 0
    last_response_code: int | None = None
    last_error: str | None = None


@attrs.frozen
class ReplayedEvent:
    """``ReplayEventResultDto``."""

    event_id: str | None = None
    subscription_id: str | None = None
    event_type: str | None = None


def _subscription(data: object) -> WebhookSubscription:
    return structure(data, WebhookSubscription, "Debitura webhook subscription")


class Webhooks(Resource):
    """Debitura's webhook subscriptions, through the client's transport."""

    async def create(
        self, url: str, events: Collection[str], *, test_mode: bool = False
    ) -> WebhookSubscription:
        """``POST /webhooks``. The answer holds the signing `secret`: Debitura shows it only
        now (and on `update(regenerate_secret=True)`), so keep it. `test_mode` subscriptions
        receive test-case events only, live ones production events only."""
        wanted = _events(events)
        body: dict[str, Any] = {"url": url, "events": wanted, "isTestMode": test_mode}
        # Creating twice makes two subscriptions (no idempotency key is honoured here), so a
        # create with no answer is not retried.
        request = Request("POST", "webhooks", json=body, request_class="write")
        return _subscription((await self.call(request)).body)

    async def list(self) -> builtins.list[WebhookSubscription]:
        """``GET /webhooks``: every subscription, in one unpaged answer (secrets are never
        listed)."""
        response = await self.call(Request("GET", "webhooks"))
        return read(response, lambda b: [_subscription(r) for r in records(b, "Debitura webhooks")])

    async def get(self, subscription_id: str) -> WebhookSubscription:
        response = await self.call(Request("GET", path("webhooks", segment(subscription_id))))
        return read(response, _subscription)

    async def update(
        self,
        subscription_id: str,
        *,
        url: str | None = None,
        events: Collection[str] | None = None,
        active: bool | None = None,
        test_mode: bool | None = None,
        regenerate_secret: bool = False,
    ) -> WebhookSubscription:
        """``PATCH /webhooks/{id}``: only what is given changes. With `regenerate_secret` the
        answer carries the new secret, shown this once. (Debitura's prose says events cannot
        change after creation although the field exists; its answer decides.)"""
        body: dict[str, Any] = {"regenerateSecret": regenerate_secret}
        if url is not None:
            body["url"] = url
        if events is not None:
            body["events"] = _events(events)
        if active is not None:
            body["isActive"] = active
        if test_mode is not None:
            body["isTestMode"] = test_mode
        url = path("webhooks", segment(subscription_id))
        request = Request("PATCH", url, json=body, request_class="write")
        return _subscription((await self.call(request)).body)

    async def delete(self, subscription_id: str) -> None:
        """``DELETE /webhooks/{id}``: permanent."""
        url = path("webhooks", segment(subscription_id))
        await self.call(Request("DELETE", url, request_class="write"))

    async def test(self, subscription_id: str) -> WebhookTestResult:
        """``POST /webhooks/{id}/test``: a synthetic ``case.created`` sent now; the answer
        says whether the endpoint took it."""
        url = path("webhooks", segment(subscription_id), "test")
        request = Request("POST", url, request_class="write", retry_safe=True)
        response = await self.call(request)
        return answer(response, WebhookTestResult, "Debitura webhook test result")

    async def events(
        self, case_id: str, *, since: dt.datetime | None = None
    ) -> builtins.list[WebhookEventRecord]:
        """``GET /webhooks/events?caseId=``: the events dispatched for one case, newest first
        (rows appear asynchronously: poll with backoff after an action)."""
        if not isinstance(case_id, str) or not case_id:
            raise ConfigurationError("webhooks.events(): case_id is required")
        params: dict[str, str] = {"caseId": case_id}
        if since is not None:
            params["since"] = _utc(since).isoformat().replace("+00:00", "Z")
        response = await self.call(Request("GET", "webhooks/events", params=params))
        return [
            structure(r, WebhookEventRecord, "Debitura webhook event")
            for r in records(response.body, "Debitura webhook events")
        ]

    async def replay_event(self, event_id: str) -> ReplayedEvent:
        """``POST /webhooks/events/{id}/replay``: delivered again, with the original payload
        and ``X-Debitura-Replay: true``. A retried request may enqueue it twice, which a
        receiver deduplicating by event id absorbs."""
        url = path("webhooks/events", segment(event_id), "replay")
        request = Request("POST", url, request_class="write", retry_safe=True)
        response = await self.call(request)
        return answer(response, ReplayedEvent, "Debitura replay")


def _events(events: Collection[str]) -> builtins.list[str]:
    if isinstance(events, str):
        events = [events]
    wanted = list(dict.fromkeys(events))
    if not wanted or not all(isinstance(e, str) and e for e in wanted):
        raise ConfigurationError("webhooks: events must be a non-empty list of event types")
    return wanted


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)
