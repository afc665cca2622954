"""Simulated divisions: ``POST /divisions`` (201, ``Idempotency-Key`` as for cases: the first
terminal answer replayed for the same body, 422 ``IdempotencyConflict`` for another, 400s not
stored), ``GET /divisions`` (``page``, ``pageSize``, ``includeArchived``), ``GET|PUT|DELETE
/divisions/{id}`` and ``POST /divisions/{id}/archive`` with its alias ``/{id}:archive``.

A division is the business unit a case is filed under (``creditorDivisionId``): deleting one
that an open case uses → 422 (archive it instead); archiving twice → 422; archived divisions
stay usable by cases. An id that is not a GUID → 404, as a route constraint would answer.
"""

from __future__ import annotations

import json as jsonlib
import math
import uuid
from typing import Any

from aiohttp import web

from debtkit_debitura.simulator.records import Records, division_record
from debtkit_debitura.simulator.replies import (
    api_error,
    json_reply,
    read_object,
    validation_problem,
)
from debtkit_debitura.simulator.state import SimulatorState, StoredResponse, timestamp

__all__ = ["register"]

_LIMITS = {"companyName": 200, "registrationNumber": 50, "zipCode": 50, "officeEmail": 250,
           "officePhone": 50}  # fmt: skip
_IDEMPOTENCY_KEY_MAX = 255


def _problems(body: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in ("companyName", "city", "countryCode"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            found.setdefault(name, []).append(f"The {name} field is required.")
    code = body.get("countryCode")
    if isinstance(code, str) and code and len(code) != 2:
        found.setdefault("countryCode", []).append("countryCode must be 2 letters.")
    for name, limit in _LIMITS.items():
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            found.setdefault(name, []).append(f"{name} must be text of at most {limit}.")
    email = body.get("officeEmail")
    if isinstance(email, str) and "@" not in email:
        found.setdefault("officeEmail", []).append("officeEmail is not a valid email.")
    return found


class _Divisions:
    def __init__(self, state: SimulatorState, records: Records) -> None:
        self.state = state
        self.records = records

    def _find(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            division_id = str(uuid.UUID(request.match_info["id"]))
        except ValueError:
            division_id = ""
        found = self.records.divisions.get(division_id)
        return found if found is not None else api_error(404, "NotFound", "Division not found.")

    async def create(self, request: web.Request) -> web.Response:
        body = await read_object(request)
        if isinstance(body, web.Response):
            return body
        key = request.headers.get("Idempotency-Key")
        if key is not None and (not key or len(key) > _IDEMPOTENCY_KEY_MAX):
            return validation_problem({"Idempotency-Key": ["must be 1 to 255 characters"]})
        fingerprint = jsonlib.dumps(body, sort_keys=True, default=str)
        slot = (request.headers.get("XApiKey", ""), key or "")
        stored = self.records.division_idempotency.get(slot) if key is not None else None
        if stored is not None:
            if stored.fingerprint != fingerprint:
                message = "This Idempotency-Key was used with a different request body."
                return api_error(422, "IdempotencyConflict", message)
            return json_reply(stored.body, stored.status)
        problems = _problems(body)
        if problems:
            return validation_problem(problems)
        division_id = str(uuid.uuid4())
        record = division_record(division_id, body, timestamp(self.state.clock()))
        self.records.divisions[division_id] = record
        self.state.divisions[division_id] = record["companyName"]
        if key is not None:
            self.records.division_idempotency[slot] = StoredResponse(fingerprint, 201, record)
        return json_reply(record, 201)

    async def list(self, request: web.Request) -> web.Response:
        query = {k.casefold(): v for k, v in request.query.items()}
        try:
            page = int(query.get("page", "1"))
            size = int(query.get("pagesize", "10"))
        except ValueError:
            return validation_problem({"page": ["page and pageSize must be integers."]})
        archived = query.get("includearchived", "false").casefold()
        if page < 1 or not 1 <= size <= 100 or archived not in {"true", "false"}:
            return validation_problem({"page": ["page ≥ 1, pageSize 1 to 100, boolean flag."]})
        selected = [
            d for d in self.records.divisions.values() if archived == "true" or not d["isArchived"]
        ]
        chunk = selected[(page - 1) * size : page * size]
        return json_reply(
            {
                "page": {
                    "totalResults": len(selected),
                    "pageSize": size,
                    "currentPage": page,
                    "responseCount": len(chunk),
                    "totalPages": math.ceil(len(selected) / size),
                },
                "divisions": chunk,
            }
        )

    async def get(self, request: web.Request) -> web.Response:
        found = self._find(request)
        return found if isinstance(found, web.Response) else json_reply(found)

    async def update(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        body = await read_object(request)
        if isinstance(body, web.Response):
            return body
        problems = _problems(body)
        if problems:
            return validation_problem(problems)
        replaced = division_record(found["id"], body, found["createdUtc"])
        replaced["isArchived"] = found["isArchived"]
        replaced["updatedUtc"] = timestamp(self.state.clock())
        found.clear()
        found.update(replaced)
        self.state.divisions[found["id"]] = found["companyName"]
        return json_reply(found)

    async def delete(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        in_use = any(
            c.invoice.get("creditorDivisionId") == found["id"]
            and c.invoice.get("lifecycle") != "Closed"
            for c in self.state.cases.values()
        )
        if in_use:
            message = "The division has active cases; archive it instead."
            return api_error(422, "DivisionHasActiveCases", message)
        del self.records.divisions[found["id"]]
        self.state.divisions.pop(found["id"], None)
        return web.Response(status=204)

    async def archive(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        if found["isArchived"]:
            return api_error(422, "DivisionAlreadyArchived", "The division is already archived.")
        found["isArchived"] = True
        found["updatedUtc"] = timestamp(self.state.clock())
        return json_reply(found)


def register(app: web.Application, state: SimulatorState, records: Records) -> None:
    divisions = _Divisions(state, records)
    router = app.router
    router.add_post("/divisions", divisions.create)
    router.add_get("/divisions", divisions.list)
    router.add_post("/divisions/{id}:archive", divisions.archive)  # before /{id} can take it
    router.add_post("/divisions/{id}/archive", divisions.archive)
    router.add_get("/divisions/{id}", divisions.get)
    router.add_put("/divisions/{id}", divisions.update)
    router.add_delete("/divisions/{id}", divisions.delete)
