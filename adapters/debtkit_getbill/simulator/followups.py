"""Simulated followups: ``GET|POST /followups``, ``GET|PUT /followups/{id}``,
``GET /followups/debt/{debtId}``.

Where the docs are silent: ``type``, ``status`` and ``direction`` outside the documented
vocabularies, and times that are not ISO-8601, are refused (400, field details); a create on
an unknown debt is 404 "Debt not found"; a new followup's ``status`` defaults to
``scheduled``; ``processed_at`` is the time of the write; ``debt_id`` in an update is 400.
Deleting a debt removes its followups (documented): they are no longer listed or found.
The list filters by ``status`` and ``type`` and ignores other parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from debtkit_getbill.simulator.app import API_PREFIX, _Answer, _body, _error, _json, _require
from debtkit_getbill.simulator.extras import EXTRAS, ExtrasState, paged

__all__ = ["add_routes"]

TYPES = ("call", "email", "sms", "whatsapp", "voicemail", "manual_call", "physical", "postmail")
STATUSES = (
    "on_hold", "scheduled", "in_progress", "sent", "delivered", "deal_found", "no_answer",
    "deal_not_found", "bad_behavior", "failed", "cancelled",
)  # fmt: skip
DIRECTIONS = ("inbound", "outbound")
_TEXT = ("summary", "notes", "call_id", "audio_url", "phone_number_used", "disconnection_reason")
_READ_ONLY_DEFAULTS: Mapping[str, Any] = {
    "pdf_url": None, "triggered_payment": False, "email_opened": False, "email_open_count": 0,
    "email_first_opened_at": None, "email_clicked": False, "email_click_count": 0,
    "media_urls_expire_at": None,
}  # fmt: skip


def _extras(request: web.Request) -> ExtrasState:
    return request.app[EXTRAS]


def _checked(body: Mapping[str, Any]) -> dict[str, Any]:
    """The writable fields of `body`, or raises the 400 naming every bad one."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, allowed in (("type", TYPES), ("status", STATUSES), ("direction", DIRECTIONS)):
        if name in body:
            if body[name] is not None and body[name] not in allowed:
                errors[name] = [f"Must be one of: {', '.join(allowed)}"]
            values[name] = body[name]
    for name in ("call_date", "scheduled_at"):
        if name in body:
            value = body[name]
            try:
                if value is not None:
                    dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                values[name] = value
            except ValueError:
                errors[name] = ["Must be a valid ISO 8601 date"]
    for name in _TEXT:
        if name in body:
            if body[name] is not None and not isinstance(body[name], str):
                errors[name] = ["Must be a string"]
            values[name] = body[name]
    if "duration_ms" in body:
        value = body["duration_ms"]
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            errors["duration_ms"] = ["Must be a non-negative integer"]
        values["duration_ms"] = value
    if "is_retry" in body:
        if not isinstance(body["is_retry"], bool):
            errors["is_retry"] = ["Must be a boolean"]
        values["is_retry"] = body["is_retry"]
    if errors:
        raise _Answer(_error(400, "Validation failed", errors))
    return values


def _found(request: web.Request) -> dict[str, Any]:
    extras = _extras(request)
    record = extras.followups.get(request.match_info["followup_id"])
    if record is None or record["debt_id"] not in extras.core.debts:  # deleted with its debt
        raise _Answer(_error(404, "Followup not found"))
    return record


async def _list(request: web.Request) -> web.Response:
    _require(request, "followups:read")
    query = request.query
    extras = _extras(request)
    items = [
        f for f in extras.followups.values()
        if f["debt_id"] in extras.core.debts  # a deleted debt takes its followups along
        and all(name not in query or f.get(name) == query[name] for name in ("status", "type"))
    ]  # fmt: skip
    return _page(query, items)


async def _by_debt(request: web.Request) -> web.Response:
    _require(request, "followups:read")
    extras = _extras(request)
    debt_id = request.match_info["debt_id"]
    if debt_id not in extras.core.debts:
        return _error(404, "Debt not found")
    items = [f for f in extras.followups.values() if f["debt_id"] == debt_id]
    return _page(request.query, items)


def _page(query: Mapping[str, str], items: list[dict[str, Any]]) -> web.Response:
    body = paged(query, items)
    if "error" not in body:
        return _error(400, "Invalid filter parameter", body)
    return _json(body)


async def _get(request: web.Request) -> web.Response:
    _require(request, "followups:read")
    return _json({"error": False, "message": "Success", "data": _found(request)})


async def _create(request: web.Request) -> web.Response:
    _require(request, "followups:write")
    body = await _body(request)
    if not isinstance(body, Mapping):
        return _error(400, "Invalid JSON payload")
    debt_id = body.get("debt_id")
    if not isinstance(debt_id, str) or not debt_id:
        return _error(400, "Validation failed", {"debt_id": ["Debt ID is required"]})
    values = _checked(body)
    extras = _extras(request)
    debt = extras.core.debts.get(debt_id)
    if debt is None:
        return _error(404, "Debt not found")
    followup_id = extras.new_id("fu_")
    record: dict[str, Any] = {
        "id": followup_id, "debt_id": debt_id, "status": "scheduled", "type": None,
        "call_date": None, "scheduled_at": None, "summary": None, "notes": None,
        "call_id": None, "audio_url": None, "duration_ms": None, "disconnection_reason": None,
        "direction": None, "phone_number_used": None, "is_retry": False,
        **_READ_ONLY_DEFAULTS,
    }  # fmt: skip
    record.update(values)
    record["processed_at"] = extras.now_z().replace("Z", "+00:00")
    extras.followups[followup_id] = record
    if isinstance(debt.get("followups_count"), int):
        debt["followups_count"] += 1
    return _json({"error": False, "message": "Followup created successfully", "data": record}, 201)


async def _update(request: web.Request) -> web.Response:
    _require(request, "followups:write")
    record = _found(request)
    body = await _body(request)
    if not isinstance(body, Mapping):
        return _error(400, "Invalid JSON payload")
    if "debt_id" in body and body["debt_id"] != record["debt_id"]:
        return _error(
            400, "Validation failed", {"debt_id": ["The debt of a followup cannot change"]}
        )
    record.update(_checked(body))
    return _json({"error": False, "message": "Followup updated successfully", "data": record})


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{API_PREFIX}/followups", _list)
    app.router.add_post(f"{API_PREFIX}/followups", _create)
    app.router.add_get(f"{API_PREFIX}/followups/debt/{{debt_id}}", _by_debt)
    app.router.add_get(f"{API_PREFIX}/followups/{{followup_id}}", _get)
    app.router.add_put(f"{API_PREFIX}/followups/{{followup_id}}", _update)
