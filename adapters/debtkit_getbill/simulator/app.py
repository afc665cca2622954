"""The GetBill simulator: an aiohttp application speaking GetBill's external API.

Routes: ``POST /token`` (OAuth client credentials) and, under ``/external-api/v1``,
``POST /debts``, ``POST /debts/batch``, ``GET /debts``, ``GET|PUT|DELETE /debts/{id}``;
followups, debtors, creditors, company and reports come from `.extras` (``app[EXTRAS]``).
Stateful in memory (`SimulatorState`, at ``app[STATE]``). Signed webhook deliveries and the
simulator-only control endpoints under ``/_simulator``: `debtkit_getbill.simulator.webhooks`.

Behaviour where GetBill's docs are silent (the adapter assumes the same):
- Rate limits are counted per OAuth client in two sliding windows, ``read`` (GET) and
  ``write`` (everything else); requests without a valid token share one anonymous bucket.
  Every API request counts, whatever its answer. A batch counts as **one** write
  (``batch_cost="item"`` makes it count one per debt instead).
- ``Date`` is the simulator's clock (`clock`), the one that stamps ``import_date``.
- The four ``X-RateLimit-*`` headers describe the bucket of the request and come on every
  API response (not on the token endpoint). ``Reset`` is when the oldest counted request
  leaves the window. With a window of a minute or more, ``Reset`` and ``retry_after`` are
  whole seconds (rounded up); shorter (compressed) windows give milliseconds.
- ``POST /debts`` answers 201. A batch takes ``accept_expensive_destination`` and the two
  switches at batch level as defaults for its items, and answers 200 with ``created``,
  ``failed``, ``skipped`` and ``summary``. A failed item is
  ``{index, temp_id, message, errors: {field: [msg]}}``, plus ``error_type`` and
  ``destination`` (as in the 422 body) for an expensive destination.
- ``GET /debts`` lists in import order; a ``limit`` above 100 is clamped to 100 (the docs
  give the maximum, not what happens above it); a page past the end is empty.
  ``created_after`` is inclusive, ``created_before`` exclusive. ``search`` matches a
  case-insensitive substring of ``internal_id`` or ``amount_text``.
- The token endpoint answers errors OAuth-style: 401 ``invalid_client``, 400
  ``unsupported_grant_type`` or ``invalid_scope``. Scopes granted are those requested that
  the client holds (all of them when none are requested).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs
from aiohttp import web

from debtkit import RateLimit, jsonutil
from debtkit.simulator import BASE_PATH, CREDENTIALS, Faults, fault_middleware
from debtkit_getbill.destinations import Destination
from debtkit_getbill.simulator.control import control_routes, set_status, updated
from debtkit_getbill.simulator.extras import ALL_SCOPES, register
from debtkit_getbill.simulator.state import (
    ANONYMOUS,
    ClientConfig,
    LoggedRequest,
    SimulatorState,
    TokenGrant,
)
from debtkit_getbill.simulator.validation import (
    BOOL_FIELDS,
    Checked,
    amount_text,
    check_create,
    check_update,
    is_placeholder,
    new_record,
)

if TYPE_CHECKING:
    from aiohttp.typedefs import Middleware

__all__ = [
    "API_PREFIX",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "MAX_BATCH",
    "MAX_PAGE_SIZE",
    "STATE",
    "create_app",
]

API_PREFIX = "/external-api/v1"
DEFAULT_CLIENT_ID = "sim-client"
DEFAULT_CLIENT_SECRET = "sim-secret"
MAX_BATCH = 1000
MAX_PAGE_SIZE = 100
STATE: web.AppKey[SimulatorState] = web.AppKey("getbill_state", SimulatorState)
# Request storage for the caller's grant, when its token is valid (typed keys: aiohttp 3.12+).
_GRANT: Any = (
    web.RequestKey("getbill_grant", TokenGrant) if hasattr(web, "RequestKey") else "getbill_grant"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=jsonutil.dumps(data), status=status, content_type="application/json")


def _error(status: int, message: str, details: Mapping[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": True, "message": message, "code": status}
    if details:
        body["details"] = dict(details)
    return _json(body, status)


def _number(value: float, whole: bool) -> int | Decimal:
    """Whole seconds for real windows, milliseconds for compressed ones; rounded up, after
    dropping the noise of float epoch arithmetic (0.4000002 s is 0.4, not 0.401)."""
    if whole:
        return math.ceil(round(value, 3))
    return Decimal(math.ceil(round(value * 1000, 3))) / 1000


def _header_number(value: float, whole: bool) -> str:
    number = _number(value, whole)
    return str(number) if isinstance(number, int) else format(number, "f")


async def _body(request: web.Request) -> Any:
    """The JSON body (fractions as Decimal), or raises a 400 answer."""
    try:
        return jsonutil.loads(await request.text())
    except ValueError:
        raise _Answer(_error(400, "Invalid JSON payload")) from None


class _Answer(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


def _state(request: web.Request) -> SimulatorState:
    return request.app[STATE]


# -- middleware: rate limits, headers, the request log ---------------------------------


def _bucket(request: web.Request) -> str:
    return "read" if request.method in {"GET", "HEAD"} else "write"


def _cost(request: web.Request, state: SimulatorState, body: Any) -> int:
    if state.batch_cost == "item" and request.path == f"{API_PREFIX}/debts/batch":
        debts = body.get("debts") if isinstance(body, Mapping) else None
        return max(len(debts), 1) if isinstance(debts, list) else 1
    return 1


@web.middleware
async def _rate_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    state = _state(request)
    arrived = state.clock()
    raw = await request.read() if request.body_exists else b""  # cached for the handler
    try:
        body = jsonutil.loads(raw) if raw else None
    except ValueError:
        body = None
    grant = state.grant_for(_bearer(request))
    if grant is not None:
        request[_GRANT] = grant
    bucket = _bucket(request)
    limiter = state.limiter(grant.client_id if grant else ANONYMOUS, bucket)
    whole = limiter.rule.window >= 60
    cost = _cost(request, state, body)
    admitted = limiter.remaining() >= cost
    if admitted:
        for _ in range(cost):
            limiter.try_acquire()
        try:
            response = await handler(request)
        except _Answer as answer:
            response = answer.response
        except web.HTTPException as exc:  # unknown route or method
            response = _error(exc.status, exc.reason)
    else:
        reset_at = limiter.reset_at()
        reset_time = dt.datetime.fromtimestamp(math.ceil(reset_at), tz=dt.timezone.utc)
        response = _error(
            429,
            "Rate limit exceeded. Please try again later.",
            {
                "retry_after": _number(limiter.retry_after(), whole),
                "limit": limiter.rule.limit,
                "reset_time": reset_time.isoformat().replace("+00:00", "Z"),
            },
        )
    response.headers["X-RateLimit-Limit"] = str(limiter.rule.limit)
    response.headers["X-RateLimit-Remaining"] = str(limiter.remaining())
    response.headers["X-RateLimit-Reset"] = _header_number(limiter.reset_at(), whole)
    response.headers["X-RateLimit-Window"] = _header_number(limiter.rule.window, whole)
    # The Date header tells the simulator's clock (the one stamping import_date), so a
    # simulator on a skewed clock shows the skew to clients as GetBill's would.
    response.headers["Date"] = email.utils.formatdate(state.clock(), usegmt=True)
    state.log.append(
        LoggedRequest(
            at=arrived,
            method=request.method,
            path=request.path[len(API_PREFIX) :],
            bucket=bucket,
            client_id=grant.client_id if grant else None,
            status=response.status,
            admitted=admitted,
            cost=cost,
            query=dict(request.query),
            body=body,
        )
    )
    return response


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _require(request: web.Request, scope: str) -> None:
    grant: TokenGrant | None = request.get(_GRANT)
    if grant is None:
        raise _Answer(_error(401, "Authentication credentials are missing or invalid"))
    if scope not in grant.scopes:
        raise _Answer(_error(403, f'Required scope "{scope}" not found in token'))


# -- token endpoint --------------------------------------------------------------------


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return _json({"error": error, "error_description": description}, status)


async def _token(request: web.Request) -> web.Response:
    state = _state(request)
    form = await request.post()
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported")
    client_id = str(form.get("client_id") or "")
    client = state.clients.get(client_id)
    if client is None or form.get("client_secret") != client.secret:
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    requested = frozenset(str(form.get("scope") or "").split()) or client.scopes
    granted = requested & client.scopes
    if not granted:
        return _oauth_error(400, "invalid_scope", "None of the requested scopes is allowed")
    token = state.issue_token(client_id, granted)
    ttl: int | Decimal = (
        int(state.token_ttl)
        if state.token_ttl == int(state.token_ttl)
        else Decimal(str(state.token_ttl))
    )
    return _json(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": " ".join(sorted(granted)),
        }
    )


# -- debts -----------------------------------------------------------------------------


def _expensive_body(destination: Destination) -> dict[str, Any]:
    message = (
        f"Expensive destination: calls to {destination.name} cost {destination.credits} "
        "credits. Set accept_expensive_destination to true to proceed."
    )
    return {
        "message": message,
        "error_type": "expensive_destination",
        "destination": {
            "country_code": destination.country_code,
            "name": destination.name,
            "credits": destination.credits,
            "multiplier": destination.multiplier,
        },
    }


async def _checked_body(
    request: web.Request, check: Callable[[Mapping[str, Any]], Checked]
) -> Checked | web.Response:
    """The write's body checked as GetBill does, or the error response refusing it."""
    body = await _body(request)
    if not isinstance(body, Mapping):
        return _error(400, "Invalid JSON payload")
    checked = check(body)
    if checked.errors:
        return _error(400, "Validation failed", checked.errors)
    if checked.expensive is not None:
        details = _expensive_body(checked.expensive)
        return _error(422, details.pop("message"), details)
    return checked


async def _create(request: web.Request) -> web.Response:
    _require(request, "debts:write")
    checked = await _checked_body(request, check_create)
    if isinstance(checked, web.Response):
        return checked
    record = _store(_state(request), checked.values)
    return _json({"error": False, "message": "Debt created successfully", "data": record}, 201)


def _store(state: SimulatorState, values: Mapping[str, Any]) -> dict[str, Any]:
    debt_id = state.new_id()
    record = new_record(values, debt_id=debt_id, import_date=state.now_iso())
    state.debts[debt_id] = record
    state.webhooks.emit("debt.created", record)
    return record


async def _batch(request: web.Request) -> web.Response:
    _require(request, "debts:write")
    body = await _body(request)
    debts = body.get("debts") if isinstance(body, Mapping) else None
    if not isinstance(debts, list):
        return _error(400, "Validation failed", {"debts": ["A list of debts is required"]})
    if len(debts) > MAX_BATCH:
        return _error(400, "Validation failed", {"debts": [f"Maximum {MAX_BATCH} debts per batch"]})
    state = _state(request)
    defaults = {k: body[k] for k in BOOL_FIELDS if k in body}  # batch-level switches
    created: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for index, item in enumerate(debts):
        temp_id = item.get("temp_id") if isinstance(item, Mapping) else None
        entry: dict[str, Any] = {"index": index, "temp_id": temp_id}
        if not isinstance(item, Mapping):
            failed.append(
                {**entry, "message": "Invalid debt", "errors": {"debt": ["Must be an object"]}}
            )
            continue
        if is_placeholder(item):
            skipped.append({**entry, "reason": "Template placeholder row"})
            continue
        payload = {**defaults, **{k: v for k, v in item.items() if k != "temp_id"}}
        checked = check_create(payload)
        if checked.errors:
            failed.append({**entry, "message": "Validation failed", "errors": checked.errors})
        elif checked.expensive is not None:
            details = _expensive_body(checked.expensive)
            errors = {"phone": [details["message"]]}
            failed.append({**entry, **details, "errors": errors})
        else:
            record = _store(state, checked.values)
            summary = {
                k: record[k]
                for k in ("firstname", "lastname", "phone", "email", "amount", "currency")
            }
            created.append({**entry, "debt_id": record["id"], "status": "valid", "data": summary})
    import_id = f"enc_imp_{state.new_id()}"
    now = dt.datetime.fromtimestamp(state.clock(), tz=dt.timezone.utc)
    name = body.get("batch_name") or f"API Batch - {now:%d/%m/%Y %H:%M}"
    state.imports.append({"import_id": import_id, "batch_name": name, "created": len(created)})
    summary = {
        "total": len(debts),
        "created": len(created),
        "failed": len(failed),
        "skipped": len(skipped),
    }
    data = {
        "import_id": import_id,
        "created": created,
        "failed": failed,
        "skipped": skipped,
        "summary": summary,
    }
    return _json({"error": False, "message": "Batch operation completed", "data": data})


def _found(request: web.Request) -> dict[str, Any]:
    record = _state(request).debts.get(request.match_info["debt_id"])
    if record is None:
        raise _Answer(_error(404, "Debt not found"))
    return record


async def _get(request: web.Request) -> web.Response:
    _require(request, "debts:read")
    return _json({"error": False, "message": "Success", "data": _found(request)})


async def _update(request: web.Request) -> web.Response:
    _require(request, "debts:write")
    record = _found(request)
    checked = await _checked_body(request, check_update)
    if isinstance(checked, web.Response):
        return checked
    changes = dict(checked.values)
    if "amount" in changes:
        changes["amount_text"] = amount_text(changes["amount"])
    status = changes.pop("status", None)
    before = {name: record.get(name) for name in changes}
    record.update(changes)
    state = _state(request)
    updated(state, record, before)  # debt.updated for the other fields
    if isinstance(status, str):
        set_status(state, record, status)  # debt.status_changed
    return _json({"error": False, "message": "Debt updated successfully", "data": record})


async def _delete(request: web.Request) -> web.Response:
    _require(request, "debts:write")
    record = _found(request)
    state = _state(request)
    del state.debts[record["id"]]
    state.deleted.append(record["id"])
    return _json({"error": False, "message": "Debt deleted successfully"})


@attrs.frozen
class _Filters:
    status: str | None = None
    currency: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    search: str | None = None

    def match(self, debt: Mapping[str, Any]) -> bool:
        amount: Decimal = debt["amount"]
        created = dt.datetime.fromisoformat(debt["import_date"])
        needle = self.search.lower() if self.search is not None else None
        return (
            (self.status is None or debt.get("status") == self.status)
            and (self.currency is None or debt.get("currency") == self.currency.upper())
            and (self.amount_min is None or amount >= self.amount_min)
            and (self.amount_max is None or amount <= self.amount_max)
            and (self.created_after is None or created >= self.created_after)
            and (self.created_before is None or created < self.created_before)
            and (
                needle is None
                or needle in str(debt.get("internal_id") or "").lower()
                or needle in str(debt.get("amount_text") or "").lower()
            )
        )


def _filters(query: Mapping[str, str], errors: dict[str, list[str]]) -> _Filters:
    values: dict[str, Any] = {
        name: query[name] for name in ("status", "currency", "search") if name in query
    }
    for name in ("amount_min", "amount_max"):
        if name in query:
            try:
                bound = Decimal(query[name])
            except InvalidOperation:
                bound = Decimal("NaN")
            if bound.is_finite():
                values[name] = bound
            else:
                errors[name] = ["Must be a valid number"]
    for name in ("created_after", "created_before"):
        if name in query:
            try:
                moment = dt.datetime.fromisoformat(query[name].replace("Z", "+00:00"))
            except ValueError:
                errors[name] = ["Must be a valid ISO 8601 date"]
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
            values[name] = moment
    return _Filters(**values)


def _positive(
    query: Mapping[str, str], name: str, default: int, errors: dict[str, list[str]]
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        errors[name] = ["Must be a positive integer"]
        return default
    return int(raw)


async def _list(request: web.Request) -> web.Response:
    _require(request, "debts:read")
    errors: dict[str, list[str]] = {}
    filters = _filters(request.query, errors)
    page = _positive(request.query, "page", 1, errors)
    limit = min(_positive(request.query, "limit", 20, errors), MAX_PAGE_SIZE)
    if errors:
        return _error(400, "Invalid filter parameter", errors)
    matching = [d for d in _state(request).debts.values() if filters.match(d)]
    start = (page - 1) * limit
    pagination = {
        "total": len(matching),
        "page": page,
        "limit": limit,
        "pages": math.ceil(len(matching) / limit),
    }
    return _json(
        {"error": False, "data": matching[start : start + limit], "pagination": pagination}
    )


# -- the application -------------------------------------------------------------------


def create_app(
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    scopes: frozenset[str] | tuple[str, ...] | None = None,
    clients: Mapping[str, ClientConfig] | None = None,
    token_ttl: float = 3600.0,
    write_limit: int = 500,
    read_limit: int = 1000,
    window: float = 3600.0,
    window_kind: Literal["sliding", "fixed"] = "sliding",
    time_scale: float = 1.0,
    batch_cost: Literal["request", "item"] = "request",
    faults: Faults | None = None,
    clock: Callable[[], float] = time.time,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    webhook_attempts: int = 5,
    webhook_retry_delay: float = 0.5,
    webhook_duplicates: int = 0,
) -> web.Application:
    """A fresh simulator with its own state.

    - `client_id`/`client_secret`/`scopes`: the OAuth client it knows (more in `clients`);
      by default it holds every documented scope;
    - `token_ttl`: access token lifetime in seconds (real seconds, not scaled);
    - `write_limit`, `read_limit` per `window` seconds, compressed by `time_scale` (3600 turns
      the documented hour into one second);
    - `batch_cost`: a batch costs one write (``"request"``) or one per debt (``"item"``);
    - `faults`: latency and failure injection (`debtkit.simulator.Faults`);
    - `clock`: epoch seconds, for tokens, windows and import dates (inject one in tests);
    - `webhook_url`/`webhook_secret`: where signed webhooks go (also settable through
      ``POST /_simulator/webhook``), tried `webhook_attempts` times with doubling delays from
      `webhook_retry_delay` seconds; `webhook_duplicates` extra deliveries of every event
      (see `debtkit_getbill.simulator.webhooks` and the ``/_simulator`` control endpoints).
    """
    held = frozenset(ALL_SCOPES if scopes is None else scopes)  # default: every documented one
    known = {client_id: ClientConfig(client_secret, held)}
    known.update(clients or {})
    limits = {
        "write": RateLimit("write", write_limit, window, window_kind, frozenset({"write"})),
        "read": RateLimit("read", read_limit, window, window_kind, frozenset({"read"})),
    }
    state = SimulatorState(
        clients=known,
        limits={name: limit.scaled(time_scale) for name, limit in limits.items()},
        token_ttl=token_ttl,
        clock=clock,
        batch_cost=batch_cost,
    )
    middlewares: list[Middleware] = [_rate_limits]
    if faults is not None:  # outermost, so a lost response is lost after the commit
        middlewares.insert(0, cast("Middleware", fault_middleware(faults)))
    app = web.Application(middlewares=middlewares)
    app[STATE] = state
    state.webhooks.configure(webhook_url, webhook_secret)
    state.webhooks.attempts = max(webhook_attempts, 1)
    state.webhooks.retry_delay = webhook_retry_delay
    state.webhooks.duplicates = webhook_duplicates

    async def deliveries(app: web.Application) -> AsyncIterator[None]:
        await state.webhooks.start()
        yield
        await state.webhooks.stop()

    app.cleanup_ctx.append(deliveries)
    app.router.add_routes(control_routes(_state))
    app[BASE_PATH] = API_PREFIX
    app[CREDENTIALS] = {"client_id": client_id, "client_secret": client_secret}
    app.router.add_post("/token", _token)
    app.router.add_post(f"{API_PREFIX}/debts", _create)
    app.router.add_post(f"{API_PREFIX}/debts/batch", _batch)
    app.router.add_get(f"{API_PREFIX}/debts", _list)
    app.router.add_get(f"{API_PREFIX}/debts/{{debt_id}}", _get)
    app.router.add_put(f"{API_PREFIX}/debts/{{debt_id}}", _update)
    app.router.add_delete(f"{API_PREFIX}/debts/{{debt_id}}", _delete)
    register(app, state)  # followups, debtors, creditors, company, reports
    return app
