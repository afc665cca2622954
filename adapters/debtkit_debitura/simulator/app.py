"""The simulated Debitura Customer API: an `aiohttp.web.Application` on loopback.

Behaviour follows the adapter's readings of the documents (fact sheet, "Create a Case" page,
OpenAPI document), so both sides agree on what is open there:

- ``XApiKey`` required: a missing or unknown key gets 401 with an empty body;
- per key (unauthenticated requests share one bucket): 2,000 requests per sliding minute,
  20,000 per fixed hour, 100,000 per fixed UTC day; beyond them 429
  ``{error, message, retryAfter}`` with no ``Retry-After`` header (the newer docs).
  `time_scale` divides every window, so limits can be reached in a test;
- ``POST /cases``: field rules → 400 (shape chosen by `validation_errors`); duplicate
  creditorReference (compared case-insensitively) → 400 ``DuplicateReference`` on the
  creditorReference field, as the "Create a Case" page says, or 422
  ``DuplicateCreditorReference`` with ``duplicate_errors="business"``; blocked creditor,
  uncovered country and unsigned contracts → 422 business errors, or with
  ``allowPendingContracts: true`` a case in "Pending contract signing" with its signing URLs;
- ``Idempotency-Key`` (≤ 255 characters, per API key): the first terminal answer (200 or
  422) is stored and replayed verbatim for the same body; another body → 422
  ``IdempotencyConflict``; 400s are not stored;
- a new case starts in "Pending Verification Internal" ("Active" with
  ``skipDebituraVerification``);
- reads: by id (a non-UUID → 400), by creditor reference, by case reference (404s), the paged
  list with ``Statuses``/``Ids``/``DebtorIds``/``DivisionIds`` (repeated keys or
  comma-separated) and ``Sort`` (unknown fields ignored, as Debitura does);
  ``POST /cases/preview``; ``GET /me``;
- the rest of the API registers its own routes: `documents` (files, chats), `case_detail`
  (timeline, contract status, validation, exclusive period, quotes), `account` (users,
  contracts, coverage, eligibility) and `divisions`, over the memory in `records`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Literal

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from debtkit import jsonutil
from debtkit.plugin import RateLimit
from debtkit.simulator import CREDENTIALS, Faults, fault_middleware
from debtkit_debitura.mapping import LIFECYCLES, lifecycle_name
from debtkit_debitura.simulator import account as account_routes
from debtkit_debitura.simulator import case_detail as case_detail_routes
from debtkit_debitura.simulator import divisions as division_routes
from debtkit_debitura.simulator import documents as document_routes
from debtkit_debitura.simulator import payloads, testmode, webhook_routes
from debtkit_debitura.simulator import payments as payment_routes
from debtkit_debitura.simulator.checks import check_create, check_preview, resolve_country
from debtkit_debitura.simulator.records import RECORDS, Records
from debtkit_debitura.simulator.state import (
    CONTRACT_ERRORS,
    LoggedRequest,
    SimulatorState,
    StoredResponse,
    utc_today,
)

__all__ = ["DEFAULT_API_KEY", "DEFAULT_LIMITS", "STATE", "create_app"]

DEFAULT_API_KEY = "sim-debitura-key"
DEFAULT_LIMITS = (
    # "Sliding window, 10-s segments", read as `WindowLimiter` documents it.
    RateLimit("minute", 2000, 60.0, "sliding", segment=10.0),
    RateLimit("hour", 20000, 3600.0, "fixed"),
    RateLimit("day", 100000, 86400.0, "fixed"),
)
STATE = web.AppKey("debitura_state", SimulatorState)
_IDEMPOTENCY_KEY_MAX = 255
_SORT_KEYS = {
    "datecreated": "dateCreated",
    "dateupdated": "dateUpdated",
    "datefinished": "dateFinished",
    "datecollectionstarted": "dateCollectionStarted",
    "duedate": "dueDate",
    "date": "date",
    "grossamount": "grossAmount",
    "remainder": "remainder",
    "interestfees": "interestFees",
    "collectionfees": "collectionFees",
    "reminderfees": "reminderFees",
    "lifecycle": "lifecycle",
    "closecode": "closeCode",
}


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=jsonutil.dumps)


def _trace_id() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


class _Api:
    def __init__(
        self,
        state: SimulatorState,
        *,
        validation_errors: payloads.ErrorStyle,
        duplicate_errors: Literal["validation", "business"],
        legacy_business_errors: bool,
    ) -> None:
        self.state = state
        self.style = validation_errors
        self.duplicates = duplicate_errors
        self.legacy = legacy_business_errors
        # The log entry of each request in flight, by request identity (web.RequestKey would
        # need aiohttp 3.14, and string keys warn there).
        self._entries: dict[int, LoggedRequest] = {}

    # -- every request ---------------------------------------------------------------------

    @web.middleware
    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Logs every request, applies the rate limits, then demands a known ``XApiKey``."""
        state = self.state
        key = request.headers.get("XApiKey")
        known = key is not None and key in state.api_keys
        entry = LoggedRequest(
            state.clock(),
            request.method,
            request.path,
            query=request.query_string,
            authenticated=known,
        )
        state.requests.append(entry)
        wait = state.admit(key if known else None)
        if wait is not None:
            response: web.StreamResponse = _json(
                {
                    "error": "rate_limit_exceeded",
                    "message": f"Rate limit exceeded. Retry after {wait:.3f} seconds.",
                    "retryAfter": round(max(wait, 0.001), 3),
                },
                429,
            )
        elif not known:
            response = web.Response(status=401)
        else:
            self._entries[id(request)] = entry
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = web.Response(status=exc.status, text=exc.text)
            finally:
                del self._entries[id(request)]
        entry.status = response.status
        return response

    # -- POST /cases -------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        log = self._entries[id(request)]
        reference = body.get("creditorReference")
        log.creditor_reference = reference if isinstance(reference, str) else None
        key = request.headers.get("Idempotency-Key")
        log.idempotency_key = key
        if key is not None and (not key or len(key) > _IDEMPOTENCY_KEY_MAX):
            errors = {"Idempotency-Key": [f"must be 1 to {_IDEMPOTENCY_KEY_MAX} characters"]}
            return _json(payloads.field_errors(errors, self.style, _trace_id()), 400)
        fingerprint = json.dumps(body, sort_keys=True, default=str)
        slot = (request.headers.get("XApiKey", ""), key or "")
        if key is not None and slot in self.state.idempotency:
            stored = self.state.idempotency[slot]
            if stored.fingerprint != fingerprint:
                conflict = payloads.business_errors(
                    [
                        (
                            "IdempotencyConflict",
                            "This Idempotency-Key was used with a different request body.",
                            None,
                        )
                    ]
                )
                return _json(conflict, 422)
            log.replayed = True
            return _json(stored.body, stored.status)
        status, answer = self._create(body)
        if key is not None and status in {200, 422}:
            self.state.idempotency[slot] = StoredResponse(fingerprint, status, answer)
        return _json(answer, status)

    def _create(self, body: Mapping[str, Any]) -> tuple[int, Any]:
        state = self.state
        errors = check_create(
            body, today=state.today(), known_division=state.divisions.__contains__
        )
        reference = body.get("creditorReference")
        duplicate = isinstance(reference, str) and state.by_creditor_reference(reference)
        if duplicate and self.duplicates == "validation":
            errors.setdefault("creditorReference", []).append(
                "DuplicateReference: a case with this creditorReference already exists."
            )
        if errors:
            return 400, payloads.field_errors(errors, self.style, _trace_id())
        if duplicate:
            message = "A case with this creditorReference already exists."
            return 422, payloads.business_errors([("DuplicateCreditorReference", message, None)])
        debtor = body["debtor"]
        country = resolve_country(debtor.get("countryAlpha2"), debtor.get("country"))
        if state.creditor_blocked:
            blocked = ("CreditorBlocked", "Your account is blocked.", None)
            return 422, payloads.business_errors([blocked])
        if country in state.uncovered_countries:
            message = "We don't have an exclusive pre-legal partner in this jurisdiction."
            if self.legacy:
                return 422, {"BusinessRule": [message]}
            return 422, payloads.business_errors([("NoPartnerAvailable", message, None)])
        unsigned = sorted(state.unsigned_contracts)
        if unsigned and not body.get("allowPendingContracts"):
            items = [CONTRACT_ERRORS[c] for c in unsigned]
            signing = payloads.signing_url(body.get("returnUrl"))
            return 422, payloads.business_errors(items, signing)
        if unsigned:
            lifecycle = LIFECYCLES["PendingContractSigning"][0]
        elif body.get("skipDebituraVerification"):
            lifecycle = LIFECYCLES["Active"][0]
        else:
            lifecycle = LIFECYCLES["PendingVerificationInternal"][0]
        division_id = body.get("creditorDivisionId")
        division = (division_id, state.divisions[division_id]) if division_id else None
        record = payloads.invoice(
            body,
            now=state.clock(),
            lifecycle=lifecycle,
            pending_signing=bool(unsigned),
            division=division,
        )
        tag = body.get("tag") if isinstance(body.get("tag"), str) else None
        state.add_case(record, state.debtor_id(record["debtor"]), tag)
        return 200, record

    # -- POST /cases/preview -----------------------------------------------------------------

    async def preview(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        errors = check_preview(body)
        if errors:
            return _json(payloads.field_errors(errors, self.style, _trace_id()), 400)
        country = str(body["debtor"]["countryAlpha2"]).upper()
        unsigned = sorted(self.state.unsigned_contracts)
        covered = country not in self.state.uncovered_countries
        return _json(payloads.preview_result(body, unsigned=unsigned, covered=covered))

    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            body = jsonutil.loads(await request.read())
        except ValueError:
            body = None
        if isinstance(body, dict):
            return body
        problem = {
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": {"$": ["The request body is not a valid JSON object."]},
            "traceId": _trace_id(),
        }
        return _json(problem, 400)

    # -- reads -------------------------------------------------------------------------------

    async def get_case(self, request: web.Request) -> web.Response:
        case_id = request.match_info["id"]
        try:
            uuid.UUID(case_id)
        except ValueError:
            return _json(payloads.api_error("InvalidId", "The id must be a GUID."), 400)
        stored = self.state.cases.get(case_id.lower())
        return self._found(stored.invoice if stored else None)

    async def by_creditor_reference(self, request: web.Request) -> web.Response:
        stored = self.state.by_creditor_reference(request.match_info["reference"])
        return self._found(stored.invoice if stored else None)

    async def by_case_reference(self, request: web.Request) -> web.Response:
        stored = self.state.by_case_reference(request.match_info["reference"])
        return self._found(stored.invoice if stored else None)

    def _found(self, record: Mapping[str, Any] | None) -> web.Response:
        if record is None:
            return _json(payloads.api_error("NotFound", "Case not found."), 404)
        return _json(record)

    async def me(self, request: web.Request) -> web.Response:
        return _json(dict(payloads.CREDITOR))

    async def list_cases(self, request: web.Request) -> web.Response:
        query = _Query(request)
        try:
            page = query.integer("page", 1, minimum=1)
            size = query.integer("pagesize", 10, minimum=1, maximum=100)
            statuses = {_status_name(s) for s in query.values("statuses")}
            ids = {_guid(v) for v in query.values("ids")}
            debtors = {_guid(v) for v in query.values("debtorids")}
            divisions = {_guid(v) for v in query.values("divisionids")}
        except ValueError as exc:
            return _json(payloads.api_error("InvalidQuery", str(exc)), 400)
        selected = [
            c
            for c in self.state.cases.values()
            if (not statuses or lifecycle_name(c.invoice.get("lifecycle") or "") in statuses)
            and (not ids or c.invoice["id"] in ids)
            and (not debtors or c.debtor_id in debtors)
            and (not divisions or c.invoice.get("creditorDivisionId") in divisions)
        ]
        selected.sort(key=lambda c: c.sequence, reverse=True)  # newest first by default
        for field, descending in reversed(_sort_terms(query.text("sort"))):
            present = [c for c in selected if c.invoice.get(field) is not None]
            absent = [c for c in selected if c.invoice.get(field) is None]
            present.sort(key=lambda c: c.invoice[field], reverse=descending)
            selected = present + absent
        chunk = selected[(page - 1) * size : page * size]
        return _json(
            {
                "page": {
                    "totalResults": len(selected),
                    "pageSize": size,
                    "currentPage": page,
                    "responseCount": len(chunk),
                    "totalPages": math.ceil(len(selected) / size),
                },
                "cases": [c.invoice for c in chunk],
            }
        )


class _Query:
    """Query parameters, names case-insensitive, arrays as repeated keys or comma lists."""

    def __init__(self, request: web.Request) -> None:
        self._pairs = [(k.casefold(), v) for k, v in request.query.items()]

    def values(self, name: str) -> list[str]:
        return [p.strip() for k, v in self._pairs if k == name for p in v.split(",") if p.strip()]

    def text(self, name: str) -> str:
        return ",".join(v for k, v in self._pairs if k == name)

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = [v for k, v in self._pairs if k == name]
        if not raw:
            return default
        try:
            value = int(raw[-1])
        except ValueError:
            raise ValueError(f"{name} must be an integer") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise ValueError(f"{name} must be between {minimum} and {maximum or 'any'}")
        return value


def _status_name(value: str) -> str:
    name = lifecycle_name(value)
    if name is None:
        raise ValueError(f"unknown status {value!r}")
    return name


def _guid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("ids must be GUIDs") from None


def _sort_terms(text: str) -> list[tuple[str, bool]]:
    terms = []
    for term in text.split(","):
        field, _, direction = term.strip().partition(":")
        key = _SORT_KEYS.get(field.strip().casefold())
        if key is not None:  # unknown fields are silently ignored, as Debitura does
            terms.append((key, direction.strip().casefold() == "desc"))
    return terms


def _faults_for(faults: Faults, methods: Collection[str]) -> Middleware:
    inject = fault_middleware(faults)
    wanted = {m.upper() for m in methods}

    @web.middleware
    async def maybe(request: web.Request, handler: Handler) -> web.StreamResponse:
        if wanted and request.method not in wanted:
            return await handler(request)
        return await inject(request, handler)

    return maybe


@web.middleware
async def _debitura_500(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Injected 500s in Debitura's own shape (an unhandled 500 carries businessErrors only)."""
    response = await handler(request)
    if response.status == 500:
        body = {
            "businessErrors": [
                {
                    "type": "InternalServerError",
                    "message": "An unexpected error occurred.",
                    "solutionUrl": None,
                }
            ]
        }
        return _json(body, 500)
    return response


def create_app(
    *,
    api_keys: Iterable[str] = (DEFAULT_API_KEY,),
    limits: Sequence[RateLimit] = DEFAULT_LIMITS,
    time_scale: float = 1.0,
    faults: Faults | None = None,
    fault_methods: Collection[str] = (),
    unsigned_contracts: Collection[Literal["sdca", "poa"]] = (),
    uncovered_countries: Collection[str] = (),
    creditor_blocked: bool = False,
    divisions: Mapping[str, str] | None = None,
    validation_errors: payloads.ErrorStyle = "dictionary",
    duplicate_errors: Literal["validation", "business"] = "validation",
    legacy_business_errors: bool = False,
    today: Callable[[], dt.date] = utc_today,
    clock: Callable[[], float] = time.time,
    middlewares: Sequence[Middleware] = (),
    allow_insecure_webhook_urls: bool = True,
    webhook_retry_delays: Sequence[float] = (1.0, 5.0, 30.0),
) -> web.Application:
    """The simulated API. Its `SimulatorState` is ``app[STATE]``.

    Webhooks, payments, tasks and the test endpoints live in their own modules
    (`simulator.webhooks` and `.webhook_routes`, `.payments`, `.testmode`); each
    ``register(app, state, ...)`` adds its routes. `allow_insecure_webhook_urls` accepts
    http and loopback subscription URLs, which Debitura refuses: a simulator and the
    receivers a test subscribes both run on loopback over plain HTTP.

    `middlewares` are installed outermost (a test can record the traffic with one);
    `faults` apply to every path, or only to the methods in `fault_methods`.
    """
    if time_scale <= 0:
        raise ValueError("time_scale must be positive")
    unknown = set(unsigned_contracts) - set(CONTRACT_ERRORS)
    if unknown:
        raise ValueError(f"unsigned_contracts must be among {sorted(CONTRACT_ERRORS)}")
    state = SimulatorState(
        api_keys=frozenset(api_keys),
        limits=tuple(rule.scaled(time_scale) for rule in limits),
        today=today,
        clock=clock,
        unsigned_contracts=set(unsigned_contracts),
        uncovered_countries={c.upper() for c in uncovered_countries},
        creditor_blocked=creditor_blocked,
        divisions=dict(divisions) if divisions is not None else {str(uuid.uuid4()): "Main"},
    )
    api = _Api(
        state,
        validation_errors=validation_errors,
        duplicate_errors=duplicate_errors,
        legacy_business_errors=legacy_business_errors,
    )
    stack: list[Middleware] = [*middlewares, _debitura_500]
    if faults is not None:
        stack.append(_faults_for(faults, fault_methods))
    stack.append(api.gate)
    # Uploads go up to 25 MiB plus the multipart framing (aiohttp's default limit is 1 MiB).
    app = web.Application(middlewares=stack, client_max_size=32 * 1024 * 1024)
    app[STATE] = state
    app[CREDENTIALS] = {"api_key": next(iter(state.api_keys), DEFAULT_API_KEY)}
    app.router.add_post("/cases/preview", api.preview)
    app.router.add_get("/cases/by-creditor-reference/{reference:.+}", api.by_creditor_reference)
    app.router.add_get("/cases/case-reference/{reference:.+}", api.by_case_reference)
    app.router.add_get("/cases/{id}", api.get_case)
    app.router.add_post("/cases", api.create)
    app.router.add_get("/cases", api.list_cases)
    app.router.add_get("/me", api.me)
    payments, tasks = payment_routes.register(app, state)
    hub = webhook_routes.register(
        app,
        state,
        allow_insecure_urls=allow_insecure_webhook_urls,
        retry_delays=webhook_retry_delays,
    )
    testmode.register(app, state, hub, payments, tasks)
    app[RECORDS] = records = Records.seeded(state)
    for module in (account_routes, case_detail_routes, division_routes, document_routes):
        module.register(app, state, records)
    return app
