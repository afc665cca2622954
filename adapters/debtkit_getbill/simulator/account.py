"""Simulated company and reports: ``GET /company/profile|credits|users``, ``GET /reports``,
``GET /reports/{id}``, ``GET /reports/download/{id}``, and the signed report files.

Two completed reports are seeded (a financial and a collection one); `generate_report` makes
another from the debts present, as GetBill's report generation would. The state
(``app[EXTRAS]``) lets a test set the balance, add reports or change a file.

Where the docs are silent: a download URL points at this server's ``/report-files/{token}``
with ``expires`` and ``signature`` query parameters, lasts an hour of the simulator's clock
and works **once** (the docs say it "may be" single-use: the strict reading); an expired or
used URL is 403, an unknown one 404. Files are served without any credential, and the headers
of each file request are logged (`ExtrasState.download_log`). A report whose
``download_available`` is false answers 400 "Report is not available for download".
"""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal
from typing import Any

from aiohttp import web

from debtkit_getbill.simulator.app import API_PREFIX, _Answer, _error, _json, _require
from debtkit_getbill.simulator.extras import EXTRAS, ExtrasState, paged

__all__ = ["FILES_PATH", "add_routes", "generate_report", "seed_reports"]

FILES_PATH = "/report-files"
URL_LIFETIME = 3600.0  # seconds of the simulator's clock (documented: one hour)


def _extras(request: web.Request) -> ExtrasState:
    return request.app[EXTRAS]


async def _profile(request: web.Request) -> web.Response:
    _require(request, "company:read")
    return _json({"error": False, "message": "Success", "data": _extras(request).profile})


async def _credits(request: web.Request) -> web.Response:
    _require(request, "company:read")
    return _json({"error": False, "message": "Success", "data": _extras(request).credits})


async def _users(request: web.Request) -> web.Response:
    _require(request, "users:read")  # one unpaginated array (documented)
    return _json({"error": False, "message": "Success", "data": _extras(request).users})


def _report(request: web.Request) -> dict[str, Any]:
    record = _extras(request).reports.get(request.match_info["report_id"])
    if record is None:
        raise _Answer(_error(404, "Report not found"))
    return record


async def _list_reports(request: web.Request) -> web.Response:
    _require(request, "reports:read")
    kind = request.query.get("type")
    items = [r for r in _extras(request).reports.values() if kind is None or r["type"] == kind]
    body = paged(request.query, items)
    if "error" not in body:
        return _error(400, "Invalid filter parameter", body)
    return _json(body)


async def _get_report(request: web.Request) -> web.Response:
    _require(request, "reports:read")
    return _json({"error": False, "message": "Success", "data": _report(request)})


async def _download(request: web.Request) -> web.Response:
    _require(request, "reports:read")
    record = _report(request)
    if not record.get("download_available"):
        return _error(400, "Report is not available for download")
    extras = _extras(request)
    token = secrets.token_urlsafe(16)
    expires = extras.core.clock() + URL_LIFETIME
    extras.downloads[token] = (record["id"], expires)
    signature = hashlib.sha256(f"{token}:{expires}".encode()).hexdigest()
    url = f"{request.url.origin()}{FILES_PATH}/{token}?expires={int(expires)}&signature={signature}"
    moment = extras.moment().fromtimestamp(expires, tz=extras.moment().tzinfo)
    data = {
        "id": record["id"], "filename": record["filename"],
        "file_size": len(extras.files.get(record["id"], b"")), "mime_type": record["mime_type"],
        "download_url": url,
        "expires_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }  # fmt: skip
    message = "Report download information retrieved"
    return _json({"error": False, "message": message, "data": data})


async def _file(request: web.Request) -> web.Response:
    extras = _extras(request)
    extras.download_log.append(dict(request.headers))
    found = extras.downloads.get(request.match_info["token"])
    if found is None:
        return web.Response(status=404, text="Not found")
    report_id, expires = found
    if extras.core.clock() >= expires:
        return web.Response(status=403, text="Request has expired")
    extras.downloads[request.match_info["token"]] = (report_id, float("-inf"))  # single use
    record = extras.reports.get(report_id)
    content = extras.files.get(report_id, b"")
    mime = record["mime_type"] if record else "application/octet-stream"
    return web.Response(body=content, content_type=mime)


def generate_report(extras: ExtrasState, kind: str) -> dict[str, Any]:
    """A completed report of the live debts, as GetBill would generate one: ``financial``
    sums amounts by currency and status, ``collection`` has a line per debt (id, status,
    amount, currency, followups). No personal data goes into either."""
    debts = list(extras.core.debts.values())
    if kind == "financial":
        sums: dict[tuple[str, str], Decimal] = {}
        for debt in debts:
            key = (str(debt.get("currency")), str(debt.get("status")))
            sums[key] = sums.get(key, Decimal(0)) + Decimal(debt["amount"])
        lines = ["currency,status,amount"] + [f"{c},{s},{a}" for (c, s), a in sorted(sums.items())]
    else:
        lines = ["debt_id,status,amount,currency,followups"] + [
            f"{d['id']},{d.get('status')},{d.get('amount_text')},{d.get('currency')},"
            f"{d.get('followups_count', 0)}"
            for d in debts
        ]
    content = ("\n".join(lines) + "\n").encode()
    report_id = extras.new_id("rpt_")
    created = extras.now_z()
    day = extras.moment().date().isoformat()
    record = {
        "id": report_id, "type": kind, "title": f"{kind.capitalize()} report",
        "description": f"Simulated {kind} report of {len(debts)} debt(s)", "status": "completed",
        "filename": f"{kind}_{report_id}.csv", "file_size": len(content), "mime_type": "text/csv",
        "period_from": day, "period_to": day, "generated_at": created, "created_at": created,
        "download_available": True,
    }  # fmt: skip
    extras.reports[report_id] = record
    extras.files[report_id] = content
    return record


def seed_reports(extras: ExtrasState) -> None:
    for kind in ("financial", "collection"):
        generate_report(extras, kind)


def add_routes(app: web.Application) -> None:
    seed_reports(app[EXTRAS])
    app.router.add_get(f"{API_PREFIX}/company/profile", _profile)
    app.router.add_get(f"{API_PREFIX}/company/credits", _credits)
    app.router.add_get(f"{API_PREFIX}/company/users", _users)
    app.router.add_get(f"{API_PREFIX}/reports", _list_reports)
    app.router.add_get(f"{API_PREFIX}/reports/download/{{report_id}}", _download)
    app.router.add_get(f"{API_PREFIX}/reports/{{report_id}}", _get_report)
    app.router.add_get(f"{FILES_PATH}/{{token}}", _file)
