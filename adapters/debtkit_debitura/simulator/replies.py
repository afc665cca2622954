"""What the simulator's route modules share: JSON answers, the declared error shape, and
finding the case a ``/cases/{id}/...`` route is about."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from aiohttp import web

from debtkit import jsonutil
from debtkit_debitura.simulator.payloads import api_error
from debtkit_debitura.simulator.state import SimulatorState, StoredCase

__all__ = ["body_of", "case_of", "error", "json", "validation_problem"]


def json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=jsonutil.dumps)


def error(status: int, code: str, message: str) -> web.Response:
    """An ``ApiErrorResponseDto``, the shape the document declares for these routes."""
    return json(api_error(code, message), status)


def validation_problem(errors: dict[str, list[str]]) -> web.Response:
    """ASP.NET's model-binding 400 (``ValidationProblemDetails``)."""
    return json(
        {
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": errors,
            "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00",
        },
        400,
    )


def case_of(state: SimulatorState, request: web.Request) -> StoredCase | web.Response:
    """The case of ``{id}``: 400 for a non-GUID, 404 when absent (or not yours)."""
    raw = request.match_info["id"]
    try:
        case_id = str(uuid.UUID(raw))
    except ValueError:
        return error(400, "InvalidId", "The id must be a GUID.")
    stored = state.cases.get(case_id)
    if stored is None:
        return error(404, "NotFound", "Case not found.")
    return stored


async def body_of(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        body = jsonutil.loads(await request.read())
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return validation_problem({"$": ["The request body is not a valid JSON object."]})
