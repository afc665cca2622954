"""`GetBillClient`: the neutral operations plus GetBill's batch, update, delete and credits.

Every write is validated locally first; a refused debt never costs a request. Reads spend the
``read`` budget, writes the ``write`` one (`debtkit.transport.Request.request_class`). Single
creates are POSTs, which the transport never re-sends; an unknown outcome (no answer, a 5xx,
or a 2xx that cannot be read, see `debtkit_getbill.envelope`) is settled by a lookup before
anything is sent again.

GetBill's clock is read from the ``Date`` header of its answers (`provider_clock`,
`debtkit.provider_clock.ProviderClock`): lookups of lost batches by creation time
(`find_created`) are bounded by the time GetBill stamps, not by the local clock.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from debtkit import (
    AmbiguousWriteError,
    APIStatusError,
    BadRequestError,
    Case,
    CaseStatus,
    ConfigurationError,
    Debt,
    DebtkitError,
    DuplicateError,
    ItemResult,
    PolicyRule,
    Problem,
    RateObservation,
    ValidationError,
)
from debtkit.client import BaseClient
from debtkit.errors import CredentialsUnavailableError
from debtkit.events.snapshots import SnapshotStore
from debtkit.events.sync import ChangeFeed
from debtkit.exactly_once import create_exactly_once, is_ambiguous
from debtkit.paging import Page, case_key, paginate
from debtkit.provider_clock import ProviderClock
from debtkit.transport import Request, RequestGate, Response, Transport, path_segment
from debtkit.validation import CheckedDebt
from debtkit_getbill.company import Company
from debtkit_getbill.creditors import Creditors
from debtkit_getbill.credits import CreditEstimate, estimate_credits
from debtkit_getbill.debtors import Debtors
from debtkit_getbill.envelope import batch_data, case_of, envelope, list_page
from debtkit_getbill.errors import (
    expensive_destination_error,
    is_expensive_destination,
    problems_from_body,
    rate_observation,
)
from debtkit_getbill.followups import Followups
from debtkit_getbill.options import PROVIDER
from debtkit_getbill.preflight import credit_preflight
from debtkit_getbill.reports import Reports
from debtkit_getbill.sync import changes
from debtkit_getbill.update import update_body
from debtkit_getbill.wire import PENDING, debt_payload, unstructure

__all__ = ["LIST_FILTERS", "MAX_BATCH", "PAGE_SIZE", "GetBillClient", "RateObservingGate"]

logger = logging.getLogger("debtkit.getbill")

MAX_BATCH = 1000  # debts per POST /debts/batch (documented)
PAGE_SIZE = 100  # the documented maximum page size
# How far before sending a lookup by creation time starts: GetBill's clock is not ours.
LOOKUP_SKEW = timedelta(minutes=5)
LIST_FILTERS = frozenset(
    {"status", "currency", "amount_min", "amount_max", "created_after", "created_before", "search"}
)


class RateObservingGate:
    """Keeps the last `RateObservation` per request class, then defers to the caller's gate."""

    def __init__(self, inner: RequestGate | None = None) -> None:
        self.inner = inner
        self.observed: dict[str, RateObservation] = {}

    async def before_attempt(self, request: Request) -> None:
        if self.inner is not None:
            await self.inner.before_attempt(request)

    def after_response(self, request: Request, response: Response) -> None:
        observation = rate_observation(response)
        if observation is not None and observation.request_class:
            self.observed[observation.request_class] = observation
        if self.inner is not None:
            self.inner.after_response(request, response)

    def after_failure(self, request: Request, error: BaseException) -> None:
        if self.inner is not None:
            self.inner.after_failure(request, error)


def _segment(provider_id: str) -> str:
    return path_segment(provider_id, name="provider_id")


def _filter_value(name: str, value: Any) -> str:
    if name in {"amount_min", "amount_max"}:
        if isinstance(value, (bool, float)):
            raise ConfigurationError(f"filter {name} must be a Decimal, an int or a string")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ConfigurationError(f"filter {name} must be a number") from None
        return format(number, "f")
    if name in {"created_after", "created_before"}:
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, str):
            return value
        raise ConfigurationError(f"filter {name} must be a date, a datetime or an ISO string")
    if name == "status" and isinstance(value, CaseStatus):
        raise ConfigurationError("filter status takes GetBill's status string, not a CaseStatus")
    if not isinstance(value, str):
        raise ConfigurationError(f"filter {name} must be a string")
    return value


class GetBillClient(BaseClient):
    """Talk to GetBill; an async context manager closing only what it opened."""

    # `create` looks the reference up before sending (`debtkit.bulk.ReferenceCheckingCreator`)
    checks_existing = True

    def __init__(
        self,
        transport: Transport,
        rules: Sequence[PolicyRule] = (),
        *,
        relax: Collection[str] = (),
        default_region: str = "FR",
        observer: RateObservingGate | None = None,
        provider_clock: ProviderClock | None = None,
    ) -> None:
        super().__init__(transport, rules, relax=relax, default_region=default_region)
        self._default_region = default_region
        self._observer = observer
        # GetBill's time, from the Date header of every answer to a debts request.
        self.provider_clock = provider_clock if provider_clock is not None else ProviderClock()
        # GetBill's other API families, each in its own module (same transport and budget).
        self.followups = Followups(transport)
        self.debtors = Debtors(transport)
        self.creditors = Creditors(transport)
        self.company = Company(transport)
        self.reports = Reports(transport)

    @property
    def rate_observations(self) -> Mapping[str, RateObservation]:
        """The last rate-limit headers seen, by request class ("read", "write")."""
        return dict(self._observer.observed) if self._observer is not None else {}

    # -- validation ---------------------------------------------------------------------

    def estimate_credits(self, debts: Iterable[Debt]) -> CreditEstimate:
        return estimate_credits(debts, default_region=self._default_region)

    async def preflight(self, debts: Iterable[Debt]) -> list[str]:
        """Before an import: the credit balance against the estimate (one read); empty when
        it covers it. See `debtkit_getbill.preflight`."""
        return await credit_preflight(self, debts)

    # -- reads ---------------------------------------------------------------------------

    async def _send(self, request: Request) -> Response:
        response = await self.transport.request(request)
        received = self.provider_clock.now()
        date = response.headers.get("Date")
        self.provider_clock.observe(date, sent=received - response.elapsed, received=received)
        return response

    async def get(self, provider_id: str) -> Case:
        response = await self._send(Request("GET", f"debts/{_segment(provider_id)}"))
        return case_of(response)

    def cases(self, **filters: Any) -> AsyncIterator[Case]:
        """Every debt matching `filters`, 100 per page, each once.

        Filters (GetBill's documented ones): ``status`` (GetBill's status string, e.g.
        ``"status.default.paid"``), ``currency``, ``amount_min``, ``amount_max``,
        ``created_after``, ``created_before`` (date, datetime or ISO string) and ``search``
        (matches ``internal_id`` or ``amount_text``). Anything else is refused here with
        `ConfigurationError`, before any request.
        """
        unknown = set(filters) - LIST_FILTERS
        if unknown:
            raise ConfigurationError(
                f"unknown GetBill list filter(s) {sorted(unknown)}; known: {sorted(LIST_FILTERS)}"
            )
        params = {
            name: _filter_value(name, value) for name, value in filters.items() if value is not None
        }
        return paginate(lambda number: self._page(params, number), key=case_key)

    async def _page(self, params: Mapping[str, str], number: int) -> Page[Case]:
        query: dict[str, str | int] = {**params, "page": number, "limit": PAGE_SIZE}
        response = await self._send(Request("GET", "debts", params=query))
        # A page that does not read as the documented envelope raises: "no results" must
        # never stand in for "could not read", or a lookup would send a debt again.
        cases, pages = list_page(response)
        return Page(cases, number < pages)

    def changes(self, store: SnapshotStore | str | Path, **options: Any) -> ChangeFeed:
        """Events since the last sync into `store`; see `debtkit_getbill.sync.changes`."""
        return changes(self, store, **options)

    async def find(self, creditor_reference: str) -> Case | None:
        """The debt whose ``internal_id`` is exactly `creditor_reference`, or None.

        ``search`` also matches parts of ids and amounts, so every page of results is read
        and only exact matches count. GetBill does not enforce unique ids; if several debts
        share one, the oldest (first imported) is returned and a warning is logged.
        """
        if not creditor_reference.strip():
            raise ConfigurationError("find() needs a non-empty creditor reference")
        matches = [
            case
            async for case in self.cases(search=creditor_reference)
            if case.creditor_reference == creditor_reference
        ]
        if not matches:
            return None
        if len(matches) > 1:
            logger.warning("%s: %d debts share one internal_id", PROVIDER, len(matches))
        return min(matches, key=lambda c: (c.created_at is None, c.created_at or datetime.min))

    # -- writes --------------------------------------------------------------------------

    async def find_many(
        self, creditor_references: Collection[str], *, since: datetime
    ) -> dict[str, Case]:
        """The debts among `creditor_references` created at or after `since`, by reference.

        One listing bounded by ``created_after`` (100 per page) instead of one search per
        debt: settling a lost batch of 1,000 costs a few reads, not a thousand. `since`
        should be a little before the create was sent, to absorb clock skew.
        """
        return await self.find_created(creditor_references, created_after=since - LOOKUP_SKEW)

    async def find_created(
        self, creditor_references: Collection[str], *, created_after: datetime
    ) -> dict[str, Case]:
        """The debts among `creditor_references` GetBill stamped at or after `created_after`
        (a time on GetBill's clock: see `provider_clock`), by reference; one listing that
        stops once every reference is found."""
        wanted = set(creditor_references)
        found: dict[str, Case] = {}
        # GetBill stamps import_date in whole seconds: a debt created at 10:31:53.9 reads
        # 10:31:53, so a bound of 10:31:53.6 would miss it. Whole seconds, rounded down.
        created_after = created_after.replace(microsecond=0)
        async for case in self.cases(created_after=created_after):
            reference = case.creditor_reference
            if reference in wanted and reference not in found:
                found[reference] = case
                if len(found) == len(wanted):
                    break
        return found

    accepts_checked = True  # create and create_batch take what `check` returned (see there)

    async def create(self, debt: Debt | CheckedDebt, *, check_existing: bool = True) -> Case:
        """Create one debt exactly once; `ValidationError` with every problem, and no
        request, if invalid.

        ``creditor_reference`` is the key debtkit never creates twice, and GetBill does not
        enforce it, so debtkit does: the reference is looked up first (`find`: one read, more
        only when GetBill's search matches over 100 debts; reads are budgeted at twice the
        writes). If a debt already holds it, nothing is sent and `DuplicateError` is raised
        with ``reference`` and ``existing`` (that debt) set, the way Debitura refuses a second
        case; if the lookup fails, its error is raised and nothing is sent either.
        ``check_existing=False`` skips that read, for
        callers that guarantee uniqueness themselves (`debtkit.bulk` does, with its ledger);
        neither way protects against another process creating the same reference meanwhile.

        GetBill has no idempotency key, so after an ambiguous failure (no answer, a 5xx, or a
        2xx that cannot be read) the debt is looked up by its reference and only re-sent when
        truly absent (`debtkit.exactly_once`); `AmbiguousWriteError` when the lookup cannot
        tell.

        `debt` may be the `CheckedDebt` this client's `check` returned: it is then not checked
        again (any other debt, or a `CheckedDebt` from elsewhere, is).
        """
        valid = self.validated(debt)
        reference = valid.creditor_reference
        payload = unstructure(debt_payload(valid, types_checked=True))
        request = Request("POST", "debts", json=payload, request_class="write")
        if check_existing:
            existing = await self.find(reference)
            if existing is not None:
                raise self._duplicate(reference, existing)

        async def send() -> Case:
            return case_of(await self._send(request))

        return await create_exactly_once(
            send,
            lambda: self.find(reference),
            lambda found: found,
            provider=PROVIDER,
            references=[reference],
            retry=self.transport.retry,
        )

    def _duplicate(
        self, reference: str, existing: Case | None, path: str = "debts"
    ) -> DuplicateError:
        """The error for a reference debtkit will not send again (no request was made)."""
        return DuplicateError(
            "this creditor reference is already taken; nothing was sent",
            reference=reference,
            existing=existing,
            provider=PROVIDER,
            method="POST",
            path=urlsplit(self.transport.url(path)).path,
            status=409,
        )

    async def update(
        self, provider_id: str, *, accept_expensive_destination: bool = False, **fields: Any
    ) -> Case:
        """Change only the given fields (GetBill's names); see `debtkit_getbill.update`."""
        body = update_body(
            fields,
            accept_expensive_destination=accept_expensive_destination,
            default_region=self._default_region,
        )
        path = f"debts/{_segment(provider_id)}"
        response = await self._send(Request("PUT", path, json=body, request_class="write"))
        return case_of(response)

    async def delete(self, provider_id: str) -> None:
        """Delete permanently (GetBill suggests archiving through a status update instead)."""
        path = f"debts/{_segment(provider_id)}"
        response = await self._send(Request("DELETE", path, request_class="write"))
        if response.status != 204:  # documented: {"error": false, "message": ...}
            envelope(response)

    async def create_batch(
        self,
        debts: Sequence[Debt | CheckedDebt],
        *,
        batch_name: str | None = None,
        chunk_size: int = MAX_BATCH,
        settle_lost: bool = True,
    ) -> list[ItemResult]:
        """Create many debts, `chunk_size` (at most 1,000) per request; one result per input.

        Invalid debts are refused locally (`ValidationError`) and never sent; a `CheckedDebt`
        this client's `check` returned is not checked again (any other input is). Each sent debt
        carries ``temp_id`` = its input index, which correlates GetBill's ``created``,
        ``failed`` and ``skipped`` entries back to it. A chunk refused as a whole (4xx) fails
        each of its debts with that error. A chunk whose outcome is unknown (no response, a
        5xx, or a 2xx that cannot be read) is settled with one bounded listing: the debts
        that landed are kept, the absent ones sent again; what still cannot be told gets an
        `AmbiguousWriteError`. Never raises halfway. ``settle_lost=False`` leaves such a chunk
        unsettled: each of its debts carries the ambiguous error itself (`is_ambiguous`), for
        a caller that settles lost batches apart (`debtkit.bulk.settle`, with `find_created`).

        What it guarantees about ``creditor_reference``: no call creates one twice (a
        reference repeated within the call is refused locally with `DuplicateError` and not
        sent), and no retry duplicates. Unlike `create`, it does not look each reference up
        before sending: that would cost one read per debt, a thousand per request. Callers
        that may resend references from earlier calls keep their own record of what was
        created, as `debtkit.bulk.bulk_import` does with its ledger.
        """
        if not 1 <= chunk_size <= MAX_BATCH:
            raise ConfigurationError(f"chunk_size must be between 1 and {MAX_BATCH}")
        results: dict[int, ItemResult] = {}
        ready: list[tuple[int, Debt, dict[str, Any]]] = []
        seen: set[str] = set()
        for index, debt in enumerate(debts):
            try:
                valid = self.validated(debt)
                payload = unstructure(debt_payload(valid, temp_id=str(index), types_checked=True))
            except ValidationError as error:
                given = debt.debt if isinstance(debt, CheckedDebt) else debt
                results[index] = ItemResult(index, given.creditor_reference, error=error)
                continue
            reference = valid.creditor_reference
            if reference in seen:
                duplicate = self._duplicate(reference, None, "debts/batch")
                results[index] = ItemResult(index, reference, error=duplicate)
                continue
            seen.add(reference)
            ready.append((index, valid, payload))
        unavailable: DebtkitError | None = None
        for start in range(0, len(ready), chunk_size):
            chunk = ready[start : start + chunk_size]
            if unavailable is not None:  # no token after a full retry schedule: stop trying
                for i, d, _ in chunk:
                    results[i] = ItemResult(i, d.creditor_reference, error=unavailable)
                continue
            sent = await self._send_chunk(chunk, batch_name, settle_lost)
            results.update(sent)
            unavailable = next(
                (
                    r.error
                    for r in sent.values()
                    if isinstance(r.error, CredentialsUnavailableError)
                ),
                None,
            )
        created = sum(1 for r in results.values() if r.ok)
        logger.info("%s: batch of %d: %d created", PROVIDER, len(debts), created)
        return [results[i] for i in range(len(debts))]

    async def _send_chunk(
        self,
        chunk: list[tuple[int, Debt, dict[str, Any]]],
        batch_name: str | None,
        settle_lost: bool = True,
    ) -> dict[int, ItemResult]:
        """One batch request, exactly once: after an ambiguous failure the debts that landed
        are found with one bounded listing and only the absent ones are sent again."""
        pending = list(chunk)
        landed: dict[int, ItemResult] = {}
        since = self.provider_clock.earliest(self.provider_clock.now())  # on GetBill's clock

        async def send() -> dict[int, ItemResult]:
            body: dict[str, Any] = {"debts": [payload for _, _, payload in pending]}
            if batch_name is not None:
                body = {"batch_name": batch_name, **body}
            request = Request("POST", "debts/batch", json=body, request_class="write")
            response = await self._send(request)
            return _batch_results(pending, batch_data(response), response)

        async def look_up() -> dict[str, Case]:
            references = [d.creditor_reference for _, d, _ in pending]
            return await self.find_created(references, created_after=since)

        def settled(found: dict[str, Case]) -> dict[int, ItemResult] | None:
            for index, debt, _ in pending:
                if debt.creditor_reference in found:
                    case = found[debt.creditor_reference]
                    landed[index] = ItemResult(index, debt.creditor_reference, case=case)
            pending[:] = [item for item in pending if item[0] not in landed]
            return {} if not pending else None  # all landed, or send the absent ones again

        refs = [debt.creditor_reference for _, debt, _ in chunk]
        try:
            results = await create_exactly_once(
                send, look_up if settle_lost else None, settled, provider=PROVIDER,
                references=refs, retry=self.transport.retry,
            )  # fmt: skip
        except DebtkitError as exc:
            error = exc
            # Settled: confirmed absent after the last try, nothing was created. Unsettled:
            # the caller settles it (settle_lost=False).
            if is_ambiguous(exc) and settle_lost:
                reason = f"batch request failed without a usable answer ({type(exc).__name__})"
                error = AmbiguousWriteError(
                    PROVIDER, [d.creditor_reference for _, d, _ in pending], reason
                )
            results = {i: ItemResult(i, d.creditor_reference, error=error) for i, d, _ in pending}
        return {**landed, **results}


def _batch_results(
    chunk: list[tuple[int, Debt, dict[str, Any]]],
    data: Mapping[str, Sequence[Mapping[str, Any]]],
    response: Response,
) -> dict[int, ItemResult]:
    by_temp = {str(index): (index, debt) for index, debt, _ in chunk}
    by_position = [(index, debt) for index, debt, _ in chunk]
    results: dict[int, ItemResult] = {}

    def owner(item: Mapping[str, Any]) -> tuple[int, Debt] | None:
        temp = item.get("temp_id")
        if temp is not None and str(temp) in by_temp:
            return by_temp[str(temp)]
        position = item.get("index")
        if isinstance(position, int) and 0 <= position < len(by_position):
            return by_position[position]
        return None

    for item in data["created"]:
        found = owner(item)
        if found is None:
            continue
        index, debt = found
        results[index] = ItemResult(index, debt.creditor_reference, case=_created(item, debt))
    for key in ("failed", "skipped"):
        for item in data[key]:
            found = owner(item)
            if found is None:
                continue
            index, debt = found
            error = _item_error(item, key, response)
            results[index] = ItemResult(index, debt.creditor_reference, error=error)
    missing = [(i, d) for i, d in by_position if i not in results]
    if missing:
        reason = "batch answer did not mention these debts"
        ambiguous = AmbiguousWriteError(
            PROVIDER, [d.creditor_reference for _, d in missing], reason
        )
        results.update(
            {i: ItemResult(i, d.creditor_reference, error=ambiguous) for i, d in missing}
        )
    return results


def _created(item: Mapping[str, Any], debt: Debt) -> Case:
    """A case from a batch ``created`` entry, which carries only a few fields."""
    return Case(
        provider=PROVIDER,
        provider_id=str(item["debt_id"]),
        status=CaseStatus.PENDING,  # every debt starts pending (documented)
        provider_status=PENDING,
        creditor_reference=debt.creditor_reference,
        amount=debt.amount,
        currency=debt.currency,
        raw=item,
    )


def _item_error(item: Mapping[str, Any], key: str, response: Response) -> APIStatusError:
    """The error a single create would have raised for this batch entry.

    The entry's shape is undocumented; ``errors`` is read as a field map or a list, and
    ``reason``/``message`` as its text. Status is the one a single create would answer:
    422 for an expensive destination, else 400.
    """
    errors = item.get("errors")
    problems: list[Problem] = problems_from_body(
        {"details": errors} if isinstance(errors, Mapping) else {"errors": errors}
    )
    message = str(item.get("message") or item.get("reason") or f"debt {key} by GetBill")
    if key == "skipped":
        problems = problems or [Problem("", "skipped", message)]
    common: dict[str, Any] = {
        "provider": PROVIDER,
        "method": response.method,
        "path": response.path,
        "request_id": response.request_id,
        "problems": problems,
        "body": dict(item),
    }
    if is_expensive_destination(item):
        return expensive_destination_error(message, item, status=422, **common)
    return BadRequestError(message, status=400, **common)
