"""`DebituraClient`: the neutral operations, plus Debitura's preview, lookups and `me()`; the
rest of the API hangs off it as resource objects (`client.files`, `client.webhooks`...).

Every 2xx is read strictly (`debtkit_debitura.answers`): an answer that cannot be read is a
`MalformedResponseError`, ambiguous after a create (the case is looked up), never an empty
result or a `ValidationError`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from debtkit.client import BaseClient
from debtkit.errors import (
    AmbiguousWriteError,
    ConfigurationError,
    DebtkitError,
    DuplicateError,
    NotFoundError,
    Problem,
    ValidationError,
)
from debtkit.events.snapshots import SnapshotStore
from debtkit.events.sync import ChangeFeed
from debtkit.exactly_once import is_ambiguous
from debtkit.model import Case, CaseStatus, Debt
from debtkit.paging import Page, case_key, paginate
from debtkit.transport import Request, Transport, path_segment
from debtkit.validation import CheckedDebt, PolicyRule
from debtkit_debitura import (
    account,
    case_detail,
    coverage,
    divisions,
    files,
    messages,
    preflight,
    quotes,
)
from debtkit_debitura.answers import case_of, case_page, json_object, structured, unreadable
from debtkit_debitura.mapping import (
    LIFECYCLES,
    create_request,
    lifecycle_name,
    preview_request,
)
from debtkit_debitura.payments import Payments
from debtkit_debitura.sync import changes
from debtkit_debitura.tasks import Tasks
from debtkit_debitura.testmode import TestMode
from debtkit_debitura.webhooks import Webhooks
from debtkit_debitura.wire import CreditorProfile, PreviewResult

__all__ = ["IDEMPOTENCY_KEY_MAX", "MAX_PAGE_SIZE", "SORT_FIELDS", "DebituraClient"]

logger = logging.getLogger("debtkit.debitura")

IDEMPOTENCY_KEY_MAX = 255
MAX_PAGE_SIZE = 100
# GET /cases sort fields, from the OpenAPI document; Debitura silently ignores unknown ones,
# so they are checked here instead.
SORT_FIELDS = (
    "DateCreated",
    "DateUpdated",
    "DateFinished",
    "DateCollectionStarted",
    "DueDate",
    "Date",
    "GrossAmount",
    "Remainder",
    "InterestFees",
    "CollectionFees",
    "ReminderFees",
    "Lifecycle",
    "CloseCode",
)
_SORT_BY_KEY = {name.casefold(): name for name in SORT_FIELDS}
_FILTERS = frozenset({"statuses", "ids", "debtor_ids", "division_ids", "sort", "page_size"})


class DebituraClient(BaseClient):
    """Speaks to the Debitura Customer API; an async context manager closing what it opened."""

    def __init__(
        self,
        transport: Transport,
        rules: Sequence[PolicyRule] = (),
        *,
        relax: Collection[str] = (),
    ) -> None:
        super().__init__(transport, rules, relax=relax)
        # Debitura's own API families, each a resource object of its own module.
        self.account = account.Account(transport)
        self.case_detail = case_detail.CaseDetail(transport)
        self.coverage = coverage.Coverage(transport)
        self.divisions = divisions.Divisions(transport)
        self.files = files.Files(transport)
        self.messages = messages.Messages(transport)
        self.quotes = quotes.Quotes(transport)
        self.webhooks = Webhooks(transport)
        self.payments = Payments(transport)
        self.tasks = Tasks(transport)
        self.test_mode = TestMode(transport)

    async def preflight(self, debts: Iterable[Debt]) -> list[preflight.PreflightFinding]:
        """The groups of `debts` no partner would take (see `debtkit_debitura.preflight`)."""
        return await preflight.preflight(self.coverage, debts, self.validated)

    # -- writes ------------------------------------------------------------------------------

    accepts_checked = True  # create takes what `check` returned without checking it again

    async def create(
        self,
        debt: Debt | CheckedDebt,
        *,
        idempotency_key: str | None = None,
        allow_pending_contracts: bool | None = None,
        is_test: bool | None = None,
    ) -> Case:
        """Validate locally (every problem at once, nothing sent), then ``POST /cases``.

        One ``Idempotency-Key`` (a fresh UUID unless given) is built into the request once, so
        every retry of this logical create carries it and Debitura replays the first outcome.
        If every attempt fails without a usable answer (none, a 5xx, or a 2xx that cannot be
        read), the case is looked up by its creditor reference: found, it is returned; absent,
        the last error is raised (nothing was created, so sending again is safe); if the lookup
        fails too, `AmbiguousWriteError`.

        Debitura refuses a second case under one creditor reference; that refusal is raised as
        `DuplicateError` with ``reference`` and, read with one lookup, ``existing`` (None if
        that lookup failed): the same error GetBill's client raises for a reference it holds.

        `debt` may be the `CheckedDebt` this client's `check` returned: it is then not checked
        again (any other debt, or a `CheckedDebt` from elsewhere, is).
        """
        key = _idempotency_key(idempotency_key)
        normalised = self.validated(debt)
        body = create_request(
            normalised, allow_pending_contracts=allow_pending_contracts, is_test=is_test
        )
        request = Request(
            "POST",
            "cases",
            json=body,
            headers={"Idempotency-Key": key},
            request_class="write",
            retry_safe=True,
        )
        reference = normalised.creditor_reference
        try:
            case = case_of(await self.transport.request(request))
        except DuplicateError as error:
            if error.reference is None:
                error.reference = reference
            if error.existing is None:
                error.existing = await self._existing(reference)
            raise
        except DebtkitError as error:
            if not is_ambiguous(error):
                raise
            return await self._reconcile(reference, error)
        logger.debug("debitura: created case %s", case.provider_id)
        return case

    async def _existing(self, reference: str) -> Case | None:
        try:
            return await self.find(reference)
        except DebtkitError as error:  # the refusal stands on its own; the case is a bonus
            logger.debug("debitura: duplicate's case not read (%s)", type(error).__name__)
            return None

    async def _reconcile(self, reference: str, error: DebtkitError) -> Case:
        try:
            found = await self.find(reference)
        except DebtkitError as lookup_error:
            raise AmbiguousWriteError(
                self.provider,
                [reference],
                f"create failed ({type(error).__name__}) and the lookup failed "
                f"({type(lookup_error).__name__})",
            ) from error
        if found is None:
            raise error
        logger.info("debitura: create outcome recovered by lookup: case %s", found.provider_id)
        return found

    async def preview(self, debt: Debt) -> PreviewResult:
        """``POST /cases/preview``: eligibility, partner, required signatures and pricing,
        without creating anything. The debt is validated locally first, as for `create`."""
        normalised = self.validated(debt)
        request = Request(
            "POST", "cases/preview", json=preview_request(normalised), retry_safe=True
        )
        response = await self.transport.request(request)
        result = json_object(response).get("result")
        if not isinstance(result, Mapping):
            raise unreadable(response, "result is not an object")
        return structured(response, result, PreviewResult, "result")

    # -- reads -------------------------------------------------------------------------------

    async def me(self) -> CreditorProfile:
        """``GET /me``: checks the credentials and tells whose they are."""
        response = await self.transport.request(Request("GET", "me"))
        return structured(response, json_object(response), CreditorProfile, "body")

    async def get(self, provider_id: str) -> Case:
        """The case with Debitura's id (a UUID); `NotFoundError` if there is none."""
        return case_of(await self.transport.request(Request("GET", _path("cases", provider_id))))

    async def get_by_case_reference(self, reference: str) -> Case:
        """The case with Debitura's 8-character reference (``Q8OAXF3W``)."""
        path = _path("cases/case-reference", reference, "reference")
        return case_of(await self.transport.request(Request("GET", path)))

    async def find(self, creditor_reference: str) -> Case | None:
        """The case created under your creditor reference, or None."""
        path = _path("cases/by-creditor-reference", creditor_reference, "creditor_reference")
        try:
            response = await self.transport.request(Request("GET", path))
        except NotFoundError:
            return None
        return case_of(response)

    def cases(self, **filters: Any) -> AsyncIterator[Case]:
        """Every case matching the filters, page by page, each once.

        Filters: ``statuses`` (Debitura lifecycle names or labels, or `CaseStatus` values,
        which are expanded and then matched exactly), ``ids``, ``debtor_ids``, ``division_ids``
        (UUIDs), ``sort`` (``"DueDate:desc,GrossAmount"`` or a list of such) and ``page_size``
        (1-100, default 100). Anything else raises `ConfigurationError` before any request.
        """
        query, wanted = _list_query(filters)

        async def fetch(number: int) -> Page[Case]:
            params = {**query, "Page": number}
            response = await self.transport.request(Request("GET", "cases", params=params))
            # Unreadable pages raise: "no more cases" must never stand in for "could not read".
            cases, more = case_page(response)
            return Page(cases, has_more=more)

        async def walk() -> AsyncIterator[Case]:
            async for case in paginate(fetch, key=case_key):
                if wanted is None or wanted(case):
                    yield case

        return walk()

    def changes(
        self, store: SnapshotStore | str | Path, *, payments: bool = True, **options: Any
    ) -> ChangeFeed:
        """Events since the last sync into `store`; see `debtkit_debitura.sync.changes`."""
        return changes(self, store, payments=payments, **options)


def _path(prefix: str, value: str, name: str = "provider_id") -> str:
    # One path segment: "", "." and ".." refused, every reserved character escaped.
    return f"{prefix}/{path_segment(value, name=name)}"


def _idempotency_key(given: str | None) -> str:
    if given is None:
        return str(uuid.uuid4())
    if not given.strip() or len(given) > IDEMPOTENCY_KEY_MAX:
        problem = Problem(
            "idempotency_key", "invalid", f"must be 1 to {IDEMPOTENCY_KEY_MAX} characters"
        )
        raise ValidationError([problem], subject="request")
    return given


def _strings(value: object, name: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigurationError(f"cases(): {name} must be a string or a list of strings")


def _uuids(value: object, name: str) -> list[str]:
    items = _strings(value, name)
    for item in items:
        try:
            uuid.UUID(item)
        except ValueError:
            raise ConfigurationError(f"cases(): {name} must be UUIDs") from None
    return items


def _sort(value: object) -> str:
    terms = [t.strip() for item in _strings(value, "sort") for t in item.split(",") if t.strip()]
    out = []
    for term in terms:
        field, _, direction = term.partition(":")
        canonical = _SORT_BY_KEY.get(field.strip().casefold())
        if canonical is None:
            raise ConfigurationError(
                f"cases(): cannot sort by {field.strip()!r}; sort fields: {', '.join(SORT_FIELDS)}"
            )
        direction = direction.strip().lower()
        if direction not in {"", "asc", "desc"}:
            raise ConfigurationError(f"cases(): sort direction must be asc or desc in {term!r}")
        out.append(f"{canonical}:{direction}" if direction else canonical)
    return ",".join(out)


def _statuses(value: object) -> tuple[list[str], Any]:
    items = [value] if isinstance(value, (str, CaseStatus)) else value
    if not isinstance(items, Iterable):
        raise ConfigurationError("cases(): statuses must be a status or a list of statuses")
    names: list[str] = []
    neutral: set[CaseStatus] = set()
    labels: set[str] = set()
    for item in items:
        if isinstance(item, CaseStatus):
            matching = [n for n, (_, _, s) in LIFECYCLES.items() if s is item]
            if item in _CLOSE_STATUSES:
                matching = ["Closed"]
            if not matching:
                raise ConfigurationError(f"cases(): Debitura has no lifecycle for {item.value!r}")
            neutral.add(item)
            names.extend(n for n in matching if n not in names)
        elif isinstance(item, str):
            names.append(item)
            labels.add(lifecycle_name(item) or item)
        else:
            raise ConfigurationError("cases(): statuses must be strings or CaseStatus values")
    if not neutral:
        return names, None

    def wanted(case: Case) -> bool:
        lifecycle = (case.provider_status or "").split(":", 1)[0]
        return case.status in neutral or (lifecycle_name(lifecycle) or lifecycle) in labels

    return names, wanted


_CLOSE_STATUSES = frozenset(
    {CaseStatus.PAID, CaseStatus.PARTIALLY_PAID, CaseStatus.WITHDRAWN, CaseStatus.CLOSED_UNPAID}
)


def _list_query(filters: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    unknown = set(filters) - _FILTERS
    if unknown:
        raise ConfigurationError(
            f"cases(): unknown filter(s) {sorted(unknown)}; filters: {sorted(_FILTERS)}"
        )
    page_size = filters.get("page_size", MAX_PAGE_SIZE)
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise ConfigurationError("cases(): page_size must be an integer")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ConfigurationError(f"cases(): page_size must be 1 to {MAX_PAGE_SIZE}")
    query: dict[str, Any] = {"PageSize": page_size}
    wanted = None
    if filters.get("statuses") is not None:
        query["Statuses"], wanted = _statuses(filters["statuses"])
    for name, param in (
        ("ids", "Ids"),
        ("debtor_ids", "DebtorIds"),
        ("division_ids", "DivisionIds"),
    ):
        if filters.get(name) is not None:
            query[param] = _uuids(filters[name], name)
    if filters.get("sort"):
        query["Sort"] = _sort(filters["sort"])
    return query, wanted
