"""Answers shared by the simulator's route modules (events, payments, tasks, test mode,
documents, case detail, account, divisions).

Shapes follow what each operation declares in the OpenAPI document: ``ApiErrorResponseDto``
where one is declared, an empty body where the status is declared without content (the test
endpoints' 404 and 422), and ASP.NET's ``ValidationProblemDetails`` for a 400 that declares
no content, as ASP.NET model validation answers.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from aiohttp import web

from debtkit import jsonutil
from debtkit_debitura.simulator import payloads
from debtkit_debitura.simulator.state import SimulatorState, StoredCase

__all__ = [
    "api_error",
    "case_of",
    "empty",
    "guid",
    "json_reply",
    "problem",
    "read_object",
    "validation_problem",
]


def json_reply(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=jsonutil.dumps)


def empty(status: int) -> web.Response:
    return web.Response(status=status)


def api_error(status: int, error: str, message: str) -> web.Response:
    """An ``ApiErrorResponseDto``."""
    return json_reply(payloads.api_error(error, message), status)


def validation_problem(errors: dict[str, list[str]]) -> web.Response:
    """ASP.NET's model-binding 400 (``ValidationProblemDetails``)."""
    body = {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": errors,
        "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00",
    }
    return json_reply(body, 400)


def problem(field: str, message: str) -> web.Response:
    """A `validation_problem` about one field."""
    return validation_problem({field: [message]})


def guid(value: str) -> str | None:
    """The canonical form of a GUID, or None if `value` is not one."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def case_of(state: SimulatorState, request: web.Request) -> StoredCase | web.Response:
    """The case of ``{id}``: 400 for a non-GUID, 404 when absent (or not yours)."""
    case_id = guid(request.match_info["id"])
    if case_id is None:
        return api_error(400, "InvalidId", "The id must be a GUID.")
    stored = state.cases.get(case_id)
    if stored is None:
        return api_error(404, "NotFound", "Case not found.")
    return stored


async def read_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The JSON object body, or the 400 a malformed one gets."""
    try:
        body = jsonutil.loads(await request.read())
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return problem("$", "The request body is not a valid JSON object.")
