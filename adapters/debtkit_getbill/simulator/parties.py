"""Simulated debtors and creditors, and the debts of each.

Routes: ``GET /debtors``, ``GET|PUT /debtors/{id}``, ``GET /creditors``,
``GET|PUT|PATCH /creditors/{id}``, ``GET /debts/by-debtor/{id}``,
``GET /debts/by-creditor/{id}`` (``status`` filter). Debtors and creditors are derived from
the debts (`debtkit_getbill.simulator.extras`). As documented: camelCase, naive timestamps,
``data`` wrapped twice on a read and on an update (``{"data": {"data": ..., "message"}}``),
totals on a single read only, a bad ``dateOfBirth`` is 400 "Invalid dateOfBirth format. Use
YYYY-MM-DD", and creditor validation errors come as ``errors: [{property, message}]``.

Where the docs are silent: a creditor PUT replaces every field (missing ones become null)
and needs a ``name``; PATCH changes the fields given; an invalid ``email`` is refused on both.
A debtor's ``averageRepaymentScore`` is the paid share of its debts' amount, 0 to 100.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiohttp import web

from debtkit_getbill.simulator.app import API_PREFIX, _Answer, _body, _error, _json, _require
from debtkit_getbill.simulator.extras import EXTRAS, ExtrasState, paged, total

__all__ = ["add_routes"]

DEBTOR_FIELDS = ("firstName", "lastName", "email", "phone", "address", "dateOfBirth")
CREDITOR_FIELDS = (
    "name", "email", "phone", "address", "city", "postalCode", "country",
    "registrationNumber", "taxNumber", "contactPerson",
)  # fmt: skip
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _extras(request: web.Request) -> ExtrasState:
    extras = request.app[EXTRAS]
    extras.sync()
    return extras


def _page(query: Mapping[str, str], items: list[Any]) -> web.Response:
    body = paged(query, items)
    if "error" not in body:
        return _error(400, "Invalid filter parameter", body)
    return _json(body)


def _twice(data: Mapping[str, Any], message: str | None = None) -> web.Response:
    inner: dict[str, Any] = {"data": data}
    if message is not None:
        return _json({"error": False, "data": {**inner, "message": message}})
    return _json({"error": False, "message": "Success", "data": inner})


async def _body_map(request: web.Request) -> Mapping[str, Any]:
    body = await _body(request)
    if not isinstance(body, Mapping):
        raise _Answer(_error(400, "Invalid JSON payload"))
    return body


# -- debtors ---------------------------------------------------------------------------


def _debtor(request: web.Request, extras: ExtrasState) -> dict[str, Any]:
    record = extras.debtors.get(request.match_info["debtor_id"])
    if record is None:
        raise _Answer(_error(404, "Debtor not found"))
    return record


async def _list_debtors(request: web.Request) -> web.Response:
    _require(request, "debtors:read")
    return _page(request.query, list(_extras(request).debtors.values()))


async def _get_debtor(request: web.Request) -> web.Response:
    _require(request, "debtors:read")
    extras = _extras(request)
    record = _debtor(request, extras)
    debts = extras.debts_of(extras.debt_debtor, record["id"])
    owed, paid = total(debts), total(debts, paid_only=True)
    score = (paid * 100 / owed).quantize(Decimal(1), ROUND_HALF_UP) if owed else Decimal(0)
    totals = {
        "totalDebtAmount": owed, "totalPaidAmount": paid,
        "averageRepaymentScore": int(score), "debtsCount": len(debts),
    }  # fmt: skip
    return _twice({**record, **totals})


async def _update_debtor(request: web.Request) -> web.Response:
    _require(request, "debtors:write")
    extras = _extras(request)
    record = _debtor(request, extras)
    body = await _body_map(request)
    born = body.get("dateOfBirth")
    if born is not None and not (isinstance(born, str) and _valid_date(born)):
        return _error(400, "Invalid dateOfBirth format. Use YYYY-MM-DD")
    for name in DEBTOR_FIELDS:
        if name in body:
            value = body[name]
            if value is not None and not isinstance(value, str):
                return _error(400, "Validation failed", {name: ["Must be a string"]})
            record[name] = value
    record["lastUpdatedAt"] = extras.now_naive()
    return _twice(record, "Debtor updated successfully")


def _valid_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# -- creditors -------------------------------------------------------------------------


def _creditor(request: web.Request, extras: ExtrasState) -> dict[str, Any]:
    record = extras.creditors.get(request.match_info["creditor_id"])
    if record is None:
        raise _Answer(_error(404, "Creditor not found"))
    return record


async def _list_creditors(request: web.Request) -> web.Response:
    _require(request, "creditors:read")
    return _page(request.query, list(_extras(request).creditors.values()))


async def _get_creditor(request: web.Request) -> web.Response:
    _require(request, "creditors:read")
    extras = _extras(request)
    record = _creditor(request, extras)
    debts = extras.debts_of(extras.debt_creditor, record["id"])
    return _twice({**record, "totalDebts": len(debts), "totalAmount": total(debts)})


def _creditor_errors(values: Mapping[str, Any], *, full: bool) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            errors.append({"property": name, "message": "This value should be of type string."})
    if (full or "name" in values) and not str(values.get("name") or "").strip():
        errors.append({"property": "name", "message": "This value should not be blank."})
    email = values.get("email")
    if isinstance(email, str) and email and not _EMAIL.fullmatch(email):
        errors.append({"property": "email", "message": "This value is not a valid email address."})
    return errors


async def _write_creditor(request: web.Request) -> web.Response:
    _require(request, "creditors:write")
    extras = _extras(request)
    record = _creditor(request, extras)
    body = await _body_map(request)
    full = request.method == "PUT"
    names = CREDITOR_FIELDS if full else [n for n in CREDITOR_FIELDS if n in body]
    values = {name: body.get(name) for name in names}
    errors = _creditor_errors(values, full=full)
    if errors:
        return _json(
            {"error": True, "message": "Validation failed", "code": 400, "errors": errors}, 400
        )
    record.update(values)
    record["updatedAt"] = extras.now_naive()
    return _twice(record, "Creditor updated successfully")


# -- debts by debtor or creditor ---------------------------------------------------------


async def _debts_by(request: web.Request) -> web.Response:
    _require(request, "debts:read")
    extras = _extras(request)
    if "debtor_id" in request.match_info:
        owner, links, kind = request.match_info["debtor_id"], extras.debt_debtor, "Debtor"
        known = owner in extras.debtors
    else:
        owner, links, kind = request.match_info["creditor_id"], extras.debt_creditor, "Creditor"
        known = owner in extras.creditors
    if not known:
        return _error(404, f"{kind} not found")
    status = request.query.get("status")
    debts = [d for d in extras.debts_of(links, owner) if status is None or d["status"] == status]
    return _page(request.query, debts)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{API_PREFIX}/debtors", _list_debtors)
    app.router.add_get(f"{API_PREFIX}/debtors/{{debtor_id}}", _get_debtor)
    app.router.add_put(f"{API_PREFIX}/debtors/{{debtor_id}}", _update_debtor)
    app.router.add_get(f"{API_PREFIX}/creditors", _list_creditors)
    app.router.add_get(f"{API_PREFIX}/creditors/{{creditor_id}}", _get_creditor)
    app.router.add_put(f"{API_PREFIX}/creditors/{{creditor_id}}", _write_creditor)
    app.router.add_patch(f"{API_PREFIX}/creditors/{{creditor_id}}", _write_creditor)
    app.router.add_get(f"{API_PREFIX}/debts/by-debtor/{{debtor_id}}", _debts_by)
    app.router.add_get(f"{API_PREFIX}/debts/by-creditor/{{creditor_id}}", _debts_by)
