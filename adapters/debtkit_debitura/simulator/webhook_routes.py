"""The simulator's webhook routes: subscriptions, test deliveries, the event log, replay.

What they store and how deliveries are signed and retried is `simulator.webhooks`; answers
follow the OpenAPI document: ``WebhookDto`` (the secret only on create and regeneration),
``ApiErrorResponseDto`` for declared 400/404s, an empty 404 for an unknown replayed event.
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from collections.abc import Sequence

from aiohttp import web

from debtkit import jsonutil
from debtkit_debitura.simulator.replies import (
    api_error,
    empty,
    guid,
    json_reply,
    problem,
    read_object,
)
from debtkit_debitura.simulator.state import SimulatorState, timestamp
from debtkit_debitura.simulator.webhooks import (
    EVENT_TYPES,
    HUB,
    Delivery,
    Subscription,
    WebhookHub,
    case_data,
)
from debtkit_debitura.wire import parse_timestamp

__all__ = ["register"]


class _Routes:
    def __init__(self, hub: WebhookHub) -> None:
        self.hub = hub

    def _note_origin(self, request: web.Request) -> None:
        self.hub.origin = f"{request.scheme}://{request.host}"

    def _subscription(self, request: web.Request) -> Subscription | web.Response:
        key = guid(request.match_info["id"])
        found = self.hub.subscriptions.get(key) if key else None
        if found is None:
            return api_error(404, "NotFound", "Webhook subscription not found.")
        return found

    async def create(self, request: web.Request) -> web.Response:
        self._note_origin(request)
        body = await read_object(request)
        if isinstance(body, web.Response):
            return body
        unknown = set(body) - {"url", "events", "isTestMode"}
        problem_text = self.hub.url_problem(body.get("url"))
        events = body.get("events")
        test_mode = body.get("isTestMode", False)
        if unknown:
            return api_error(400, "InvalidRequest", f"Unknown fields: {sorted(unknown)}")
        if problem_text:
            return api_error(400, "InvalidWebhookUrl", problem_text)
        events_problem = _events_problem(events)
        if events_problem:
            return api_error(400, "InvalidEventType", events_problem)
        if not isinstance(test_mode, bool):
            return api_error(400, "InvalidRequest", "isTestMode must be a boolean")
        now = timestamp(self.hub.state.clock())
        secret = base64.b64encode(secrets.token_bytes(32)).decode()
        wanted = list(dict.fromkeys(events)) if isinstance(events, list) else []
        subscription = Subscription(
            str(uuid.uuid4()), body["url"], wanted, test_mode, secret, now, now
        )
        self.hub.subscriptions[subscription.id] = subscription
        return json_reply(subscription.dto(with_secret=True), 201)

    async def list(self, request: web.Request) -> web.Response:
        return json_reply([s.dto() for s in self.hub.subscriptions.values()])

    async def get(self, request: web.Request) -> web.Response:
        found = self._subscription(request)
        return found if isinstance(found, web.Response) else json_reply(found.dto())

    async def update(self, request: web.Request) -> web.Response:
        found = self._subscription(request)
        if isinstance(found, web.Response):
            return found
        body = await read_object(request)
        if isinstance(body, web.Response):
            return body
        allowed = {"url", "events", "isActive", "regenerateSecret", "isTestMode"}
        if set(body) - allowed:
            return api_error(
                400, "InvalidRequest", f"Unknown fields: {sorted(set(body) - allowed)}"
            )
        url = body.get("url")
        if url is not None and (text := self.hub.url_problem(url)):
            return api_error(400, "InvalidWebhookUrl", text)
        events = body.get("events")
        if events is not None and list(dict.fromkeys(events)) != found.events:
            message = "Event types cannot be changed after creation; delete and recreate."
            return api_error(400, "EventsImmutable", message)
        for name in ("isActive", "regenerateSecret", "isTestMode"):
            if body.get(name) is not None and not isinstance(body[name], bool):
                return api_error(400, "InvalidRequest", f"{name} must be a boolean")
        if url is not None:
            found.url = url
        if body.get("isActive") is not None:
            found.is_active = body["isActive"]
            if found.is_active:
                found.disabled_reason = None
        if body.get("isTestMode") is not None:
            found.is_test_mode = body["isTestMode"]
        regenerate = bool(body.get("regenerateSecret"))
        if regenerate:
            found.secret = base64.b64encode(secrets.token_bytes(32)).decode()
        found.updated = timestamp(self.hub.state.clock())
        return json_reply(found.dto(with_secret=regenerate))

    async def delete(self, request: web.Request) -> web.Response:
        found = self._subscription(request)
        if isinstance(found, web.Response):
            return found
        del self.hub.subscriptions[found.id]
        return empty(204)

    async def test(self, request: web.Request) -> web.Response:
        self._note_origin(request)
        found = self._subscription(request)
        if isinstance(found, web.Response):
            return found
        case_id, event_id = str(uuid.uuid4()), str(uuid.uuid4())
        payload = {
            "id": event_id,
            "specVersion": "1.0",
            "event": "case.created",
            "timestamp": timestamp(self.hub.state.clock()),
            "data": {
                "caseId": case_id,
                "reference": "TEST0001",
                "creditorReference": "TEST-INV-001",
                "status": "Pending Verification Internal",
                "amount": 1000,
                "currency": "EUR",
                "debtorName": "Test Debtor Ltd",
                "classification": "test",
            },
            "links": {"self": f"{self.hub.origin}/cases/{case_id}"},
        }
        body = jsonutil.dumps(payload).encode()
        delivery = Delivery(event_id, found.id, case_id, "case.created", body)
        started = time.perf_counter()
        status, error = await self.hub.post(found, delivery, test=True)
        elapsed = int((time.perf_counter() - started) * 1000)
        category = None
        if error is not None:
            category = error.split(":", 1)[0] if status is None else "HttpError"
        return json_reply(
            {
                "success": error is None,
                "httpStatusCode": status,
                "durationMs": elapsed,
                "errorMessage": error,
                "errorCategory": category,
                "testPayload": payload,
            }
        )

    async def events(self, request: web.Request) -> web.Response:
        raw_case = request.query.get("caseId")
        case_id = guid(raw_case) if raw_case else None
        if case_id is None:
            return problem("caseId", "caseId is required and must be a GUID.")
        since = request.query.get("since")
        rows = [d for d in self.hub.log if d.case_id == case_id]
        if since:
            rows = [d for d in rows if d.created >= _normal_time(since)]
        rows.sort(key=lambda d: d.created, reverse=True)
        return json_reply([d.dto() for d in rows])

    async def replay_since(self, request: web.Request) -> web.Response:
        """The deprecated ``POST /webhooks/{id}/replay``: accepted, and replays nothing (the
        fact sheet: "deprecated and does nothing useful"); use the per-event replay."""
        found = self._subscription(request)
        if isinstance(found, web.Response):
            return found
        body = await read_object(request)
        if isinstance(body, web.Response):
            return body
        if not isinstance(body.get("sinceUtc"), str) or not _normal_time(body["sinceUtc"]):
            return api_error(400, "InvalidRequest", "sinceUtc must be an ISO 8601 date-time")
        return json_reply({"eventsReplayed": 0})

    async def replay(self, request: web.Request) -> web.Response:
        key = guid(request.match_info["id"])
        delivery = next((d for d in self.hub.log if d.id == key), None)
        if delivery is None or delivery.subscription_id not in self.hub.subscriptions:
            return empty(404)
        self.hub.replay(delivery)
        return json_reply(
            {
                "eventId": delivery.id,
                "subscriptionId": delivery.subscription_id,
                "eventType": delivery.event_type,
            }
        )


def _events_problem(events: object) -> str | None:
    if not isinstance(events, list) or not events:
        return "events must be a non-empty array"
    bad = [e for e in events if e not in EVENT_TYPES]
    if bad:
        return f"Unknown event types: {bad}; valid: {sorted(EVENT_TYPES)}"
    return None


def _normal_time(text: str) -> str:
    # Log times are "YYYY-MM-DDTHH:MM:SS.mmmZ"; compare a caller's ISO time in that form.
    try:
        return timestamp(parse_timestamp(text).timestamp())
    except (TypeError, ValueError):
        return ""


def register(
    app: web.Application,
    state: SimulatorState,
    *,
    allow_insecure_urls: bool = True,
    retry_delays: Sequence[float] = (1.0, 5.0, 30.0),
) -> WebhookHub:
    """Add the webhook routes to `app`; the hub is ``app[HUB]``; fires ``case.created``."""
    hub = WebhookHub(state, allow_insecure_urls=allow_insecure_urls, retry_delays=retry_delays)
    app[HUB] = hub
    routes = _Routes(hub)
    state.case_listeners.append(lambda case: hub.dispatch("case.created", case, case_data(case)))

    async def close(_: web.Application) -> None:
        await hub.close()

    app.on_cleanup.append(close)
    app.router.add_post("/webhooks", routes.create)
    app.router.add_get("/webhooks", routes.list)
    app.router.add_get("/webhooks/events", routes.events)
    app.router.add_post("/webhooks/events/{id}/replay", routes.replay)
    app.router.add_post(r"/webhooks/{id:[^/:]+}/test", routes.test)
    app.router.add_post(r"/webhooks/{id:[^/:]+}:test", routes.test)
    app.router.add_post(r"/webhooks/{id:[^/:]+}/replay", routes.replay_since)
    app.router.add_post(r"/webhooks/{id:[^/:]+}:replay", routes.replay_since)
    app.router.add_get("/webhooks/{id}", routes.get)
    app.router.add_patch("/webhooks/{id}", routes.update)
    app.router.add_delete("/webhooks/{id}", routes.delete)
    return hub
