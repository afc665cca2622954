"""What every Debitura resource (files, messages, divisions...) shares: the transport, id
path segments, response structuring and listings as async iterators.

Every resource object sends through the client's own `Transport`, so budget, retry policy,
error mapping and logging are those of the neutral calls.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from typing import Any, TypeVar, cast
from urllib.parse import quote

import attrs

from debtkit.errors import Problem, ValidationError
from debtkit.paging import Page, paginate
from debtkit.transport import Request, Response, Transport
from debtkit_debitura.mapping import drop_nulls
from debtkit_debitura.wire import PageData, converter

__all__ = ["Resource", "items", "paged", "path", "segment", "structure"]

_T = TypeVar("_T")


def segment(value: object, name: str = "id") -> str:
    """One path segment: every reserved character escaped ("/" included); '', '.' and '..'
    (which a URL resolver would fold away) are refused before anything is sent."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or text in {"", ".", ".."}:
        problem = Problem(name, "not_addressable", "cannot be used as a path segment")
        raise ValidationError([problem], subject="request")
    return quote(text, safe="")


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
        response = await self.call(Request("GET", url))
        return structure(response.body, cls, subject)

    def listing(
        self, url: str, cls: type[_T], subject: str, key: str | None = None
    ) -> AsyncIterator[_T]:
        """An unpaged list endpoint, as an async iterator like the paged ones."""

        async def walk() -> AsyncIterator[_T]:
            response = await self.call(Request("GET", url))
            for item in items(response.body, cls, subject, key):
                yield item

        return walk()


def paged(
    fetch_body: Callable[[int], Awaitable[object]],
    cls: type[_T],
    subject: str,
    key: str,
    page_size: int,
    identity: Callable[[_T], Hashable] | None = None,
) -> AsyncIterator[_T]:
    """Every item of a ``{page: PageData, <key>: [...]}`` listing, page after page, each once."""

    async def fetch(number: int) -> Page[_T]:
        body = await fetch_body(number)
        found = tuple(items(body, cls, subject, key))
        page_body = body.get("page") if isinstance(body, Mapping) else None
        page = structure(page_body or {}, PageData, "Debitura page")
        if page.current_page is not None and page.total_pages is not None:
            more = page.current_page < page.total_pages
        elif page.total_results is not None:
            more = number < math.ceil(page.total_results / page_size)
        else:
            more = len(found) >= page_size
        return Page(found, has_more=more)

    return paginate(fetch, key=identity)
