"""The plumbing GetBill's resource families share: paths, scoped tokens, envelopes, pages.

Every family (``client.followups``, ``client.debtors``, ...) sends through the client's
`Transport`, so it has the same budget (reads spend ``read``, writes ``write``), retry policy
and error mapping as the neutral calls.

Scopes: the neutral calls' token asks for ``debts:read debts:write`` (`DEFAULT_SCOPE`). When
a family needs a scope that token was not asked for, and the client holds client credentials,
the family gets its own token asking for exactly its scope. GetBill does not document what a
token request for a scope the OAuth client lacks does (RFC 6749 allows refusing it), so widening
the main token could break the debt calls; a separate token confines a missing scope to the
family that needs it (403, `PermissionDeniedError`). With only an access token, it is used
for everything.

Envelopes: ``{"data": ...}``, and GetBill's double wrapping ``{"data": {"data": ...}}`` on
debtor and creditor reads and updates, are both unwrapped by `record`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

import attrs

from debtkit import (
    AuthenticationError,
    BadRequestError,
    PermissionDeniedError,
    ValidationError,
)
from debtkit.paging import Page, paginate
from debtkit.transport import Params, Request, Response, Transport, path_segment
from debtkit_getbill.auth import GetBillAuth
from debtkit_getbill.envelope import envelope, unreadable
from debtkit_getbill.errors import NEUTRAL_PATHS
from debtkit_getbill.models import structure

__all__ = ["PAGE_SIZE", "ResourceApi", "segment"]

PAGE_SIZE = 100  # the documented maximum page size
T = TypeVar("T")


def segment(value: str) -> str:
    """An id as one path segment (`debtkit.transport.path_segment`); an id of blanks only is
    refused too, since GetBill's ids never are."""
    if isinstance(value, str) and not value.strip():
        value = ""  # blanks only: refused like the empty id
    return path_segment(value)


def _unwrap(body: Any) -> Any:
    data = body.get("data") if isinstance(body, Mapping) else None
    # Debtors and creditors wrap twice: {"data": {"data": {...}, "message"?: ...}}.
    if isinstance(data, Mapping) and isinstance(data.get("data"), (Mapping, list)):
        return data["data"]
    return data


class ResourceApi:
    """One family's view of the client's transport, asking for `scope` where needed."""

    def __init__(
        self, transport: Transport, scope: str, fields: Mapping[str, str] | None = None
    ) -> None:
        self.transport = transport
        self.scope = scope
        self._own_auth = _scoped_auth(transport, scope)
        self._fields = fields  # wire name -> our name, for the paths of field problems

    async def send(self, request: Request) -> Response:
        try:
            return await self._send(request)
        except BadRequestError as error:
            if self._fields is None or type(error) is not BadRequestError:
                raise
            raise _renamed(error, self._fields) from None

    async def _send(self, request: Request) -> Response:
        auth = self._own_auth
        if auth is None:
            return await self.transport.request(request)
        scoped = _with_headers(request, await self._headers(auth))
        try:
            return await self.transport.request(scoped)
        except AuthenticationError:  # the token was refused: renew it once, as the core does
            if not await auth.renew(self.transport):
                raise
            return await self.transport.request(_with_headers(request, await self._headers(auth)))

    async def _headers(self, auth: GetBillAuth) -> Mapping[str, str]:
        try:
            return await auth.headers(self.transport)
        except BadRequestError as error:
            body = error.body if isinstance(error.body, Mapping) else {}
            if body.get("error") != "invalid_scope":
                raise
            # OAuth's answer when the client holds none of the scopes asked for.
            raise PermissionDeniedError(
                f"the OAuth client may not use scope {self.scope!r}",
                provider=error.provider,
                method=error.method,
                path=error.path,
                status=403,
                request_id=error.request_id,
            ) from None

    async def get(self, path: str, params: Params | None = None) -> Response:
        return await self.send(Request("GET", path, params=params))

    async def write(self, method: str, path: str, body: Any) -> Response:
        return await self.send(Request(method, path, json=body, request_class="write"))

    def one(self, response: Response, cls: type[T], subject: str) -> T:
        """The answer's object as `cls`; an answer that does not read as the documented
        envelope is `MalformedResponseError` (ambiguous after a write), never a
        `ValidationError`, which means "refused locally"."""
        return _read(response, lambda: structure(_unwrap(envelope(response)), cls, subject))

    def many(self, response: Response, cls: type[T], subject: str) -> list[T]:
        records = _unwrap(envelope(response))
        if not isinstance(records, list):
            raise unreadable(response, "data is not a list")
        return _read(response, lambda: [structure(record, cls, subject) for record in records])

    def pages(
        self,
        path: str,
        parse: Callable[[Any], T],
        params: Mapping[str, str] | None = None,
        key: Callable[[T], Any] | None = None,
    ) -> AsyncIterator[T]:
        """Every item of a paginated listing, 100 per page, each once (by `key`).

        A page bringing no item not seen before ends the walk: a server that keeps repeating
        a page (or announces a billion pages) would otherwise be read forever.
        """
        seen: set[Any] = set()

        async def fetch(number: int) -> Page[T]:
            query: dict[str, str | int] = {**(params or {}), "page": number, "limit": PAGE_SIZE}
            response = await self.get(path, query)
            body = envelope(response)
            records = _unwrap(body)
            if not isinstance(records, list):  # never "no results": see envelope.py
                raise unreadable(response, "data is not a list")
            pagination = body.get("pagination")
            if isinstance(pagination, Mapping) and isinstance(pagination.get("pages"), int):
                has_more = number < pagination["pages"]
            else:  # no usable pagination block: a full page suggests more
                has_more = len(records) >= PAGE_SIZE
            items = _read(response, lambda: tuple(parse(record) for record in records))
            if key is not None:
                fresh = {key(item) for item in items} - seen
                seen.update(fresh)
                has_more = has_more and bool(fresh)
            return Page(items, has_more)

        return paginate(fetch, key=key)


def _read(response: Response, parse: Callable[[], T]) -> T:
    """`parse()`, with a record that does not read as its model reported as the provider's
    unreadable answer, not as a local refusal."""
    try:
        return parse()
    except ValidationError:
        raise unreadable(response, "a record does not read as its documented shape") from None


_WIRE_NAMES = {path: field for field, path in NEUTRAL_PATHS.items()}


def _renamed(error: BadRequestError, fields: Mapping[str, str]) -> BadRequestError:
    """The error with field problems named after this family's fields, not a debt's (the
    adapter's parser reads every field name as a debt field: ``email`` -> debtor.email)."""
    problems = []
    for problem in error.problems:
        wire = _WIRE_NAMES.get(problem.path, problem.path)
        problems.append(attrs.evolve(problem, path=fields.get(wire, wire)))
    return BadRequestError(
        error.message,
        provider=error.provider,
        method=error.method,
        path=error.path,
        status=error.status,
        request_id=error.request_id,
        problems=problems,
        body=error.body,
        headers=error.headers,
    )


def _with_headers(request: Request, headers: Mapping[str, str]) -> Request:
    return Request(
        request.method,
        request.path,
        params=request.params,
        json=request.json,
        headers={**request.headers, **headers},
        request_class=request.request_class,
        authenticated=False,
        retry_safe=request.retry_safe,
    )


def _scoped_auth(transport: Transport, scope: str) -> GetBillAuth | None:
    auth = transport.auth
    if not isinstance(auth, GetBillAuth) or not auth.can_renew:
        return None
    if set(scope.split()) <= set(auth.scope.split()):
        return None
    return auth.with_scope(scope)
