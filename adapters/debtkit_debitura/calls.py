"""What every Debitura resource (files, messages, divisions, webhooks, payments, tasks...)
shares: the transport, id path segments, response structuring and listings as async
iterators.

Every resource object sends through the client's own `Transport`, so budget, retry policy,
error mapping and logging are those of the neutral calls.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from typing import Any, TypeVar, cast

import attrs

from debtkit.errors import ConfigurationError, Problem, ValidationError
from debtkit.paging import Page, paginate
from debtkit.transport import Request, Response, Transport, path_segment
from debtkit_debitura.answers import unreadable
from debtkit_debitura.mapping import drop_nulls
from debtkit_debitura.wire import PageData, converter

__all__ = [
    "MAX_PAGE_SIZE",
    "Resource",
    "answer",
    "answer_items",
    "answer_records",
    "body_of",
    "items",
    "page_size",
    "paged",
    "paged_records",
    "path",
    "read",
    "records",
    "segment",
    "structure",
]

MAX_PAGE_SIZE = 100

_T = TypeVar("_T")


def segment(value: object, name: str = "id") -> str:
    """One path segment (`debtkit.transport.path_segment`); integer ids (chat users) too."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return path_segment(text, name=name)


def path(*parts: str) -> str:
    """``path("cases", segment(id), "files")``: parts already escaped, joined by "/"."""
    return "/".join(parts)


def structure(data: object, cls: type[_T], subject: str) -> _T:
    """The response as `cls`; a body of another shape is a `ValidationError`, never a crash.
    Models with a ``raw`` field keep the payload whole there (unknown fields included)."""
    try:
        result = converter.structure(drop_nulls(data), cls)
    except Exception:  # cattrs groups, TypeError, ValueError: all mean "not that shape"
        problem = Problem("", "invalid_response", f"is not a {subject}")
        raise ValidationError([problem], subject=subject) from None
    if attrs.has(cls) and "raw" in attrs.fields_dict(cls):
        result = attrs.evolve(cast(Any, result), raw=data)
    return result


def items(body: object, cls: type[_T], subject: str, key: str | None = None) -> list[_T]:
    """A list body (or the list under `key` of an object body), each item as `cls`."""
    if key is not None and isinstance(body, Mapping):
        body = body.get(key)
        body = [] if body is None else body  # Debitura sends null for an empty list
    if not isinstance(body, list):
        problem = Problem("", "invalid_response", f"is not a list of {subject}")
        raise ValidationError([problem], subject=subject)
    return [structure(item, cls, subject) for item in body]


class Resource:
    """A family of Debitura operations, sharing the client's transport."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transport!r})"

    async def call(self, request: Request) -> Response:
        return await self.transport.request(request)

    async def fetch(self, url: str, cls: type[_T], subject: str) -> _T:
        return answer(await self.call(Request("GET", url)), cls, subject)

    def listing(
        self, url: str, cls: type[_T], subject: str, key: str | None = None
    ) -> AsyncIterator[_T]:
        """An unpaged list endpoint, as an async iterator like the paged ones."""

        async def walk() -> AsyncIterator[_T]:
            for item in answer_items(await self.call(Request("GET", url)), cls, subject, key):
                yield item

        return walk()


def paged(
    fetch_page: Callable[[int], Awaitable[Response]],
    cls: type[_T],
    subject: str,
    key: str,
    page_size: int,
    identity: Callable[[_T], Hashable] | None = None,
) -> AsyncIterator[_T]:
    """Every item of a ``{page: PageData, <key>: [...]}`` listing, page after page, each once."""

    async def fetch(number: int) -> Page[_T]:
        response = await fetch_page(number)
        found = tuple(answer_items(response, cls, subject, key))
        more = read(response, lambda body: _more(body, number, len(found), page_size))
        return Page(found, has_more=more)

    return paginate(fetch, key=identity)


def _more(body: object, number: int, found: int, size: int) -> bool:
    """Whether page `number` of a ``{page: PageData, ...}`` listing has a next one."""
    page_body = body.get("page") if isinstance(body, Mapping) else None
    page = structure(page_body or {}, PageData, "Debitura page")
    if page.current_page is not None and page.total_pages is not None:
        return page.current_page < page.total_pages
    if page.total_results is not None:
        return number < math.ceil(page.total_results / size)
    return found >= size


def body_of(data: object, subject: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        problem = Problem("", "invalid_response", "is not a JSON object")
        raise ValidationError([problem], subject=subject)
    return data


def records(data: object, subject: str) -> list[Any]:
    """An unpaged array answer (``/webhooks``, ``/cases/{id}/payments``...). An empty body is
    not an empty list: it cannot be told from a lost one."""
    if not isinstance(data, list):
        problem = Problem("", "invalid_response", "is not a JSON array")
        raise ValidationError([problem], subject=subject)
    return data


def page_size(value: object, operation: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{operation}: page_size must be an integer")
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ConfigurationError(f"{operation}: page_size must be 1 to {MAX_PAGE_SIZE}")
    return value


def paged_records(
    transport: Transport,
    url: str,
    list_key: str,
    convert: Callable[[object], _T],
    *,
    params: Mapping[str, Any] | None = None,
    size: int = MAX_PAGE_SIZE,
    key: Callable[[_T], Hashable] | None = None,
) -> AsyncIterator[_T]:
    """`paged` for records turned into items by a function rather than structured as a
    class (payments become the neutral `Payment`): one ``GET`` per page, each item once."""

    async def fetch(number: int) -> Page[_T]:
        query = {**(params or {}), "Page": number, "PageSize": size}
        response = await transport.request(Request("GET", url, params=query))

        def page_of(data: object) -> Page[_T]:
            body = body_of(data, f"Debitura {list_key} page")
            listed = body.get(list_key)
            listed = [] if listed is None else listed  # Debitura sends null for an empty page
            found = tuple(convert(r) for r in records(listed, f"Debitura {list_key}"))
            return Page(found, has_more=_more(body, number, len(found), size))

        return read(response, page_of)

    return paginate(fetch, key=key)


def read(response: Response, parse: Callable[[Any], _T]) -> _T:
    """`parse(response.body)`, where a body that does not read as its shape is the provider's
    unreadable answer (`MalformedResponseError`: ambiguous after a write, looked up before any
    resend), never a `ValidationError`, which means "refused locally before any request"."""
    try:
        return parse(response.body)
    except ValidationError:
        raise unreadable(response, "does not read as its documented shape") from None


def answer(response: Response, cls: type[_T], subject: str) -> _T:
    """The answer as `cls` (see `read`)."""
    return read(response, lambda body: structure(body, cls, subject))


def answer_items(
    response: Response, cls: type[_T], subject: str, key: str | None = None
) -> list[_T]:
    """The answer's list (or the list under `key`), each item as `cls` (see `read`)."""
    return read(response, lambda body: items(body, cls, subject, key))


def answer_records(response: Response, subject: str) -> list[Any]:
    """The answer's unpaged array, null read as empty (see `read`)."""
    return read(response, lambda body: records(body, subject))
