"""What the resource families (`client.webhooks`, `client.payments`, `client.tasks`) share.

Each family is a small object holding the client's transport, so it sends through the same
budget, retries and error mapping as the neutral operations. These helpers turn wire records
into typed models (a shape mismatch is one `ValidationError`, never a cattrs error) and walk
Debitura's offset pages (``Page``/``PageSize``, at most 100 per page, envelope
``{page: PageData, <list key>: [...]}``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from typing import Any, TypeVar, cast
from urllib.parse import quote

import attrs

from debtkit.errors import ConfigurationError, Problem, ValidationError
from debtkit.paging import Page, paginate
from debtkit.transport import Request, Transport
from debtkit_debitura.mapping import drop_nulls
from debtkit_debitura.wire import PageData, converter

__all__ = ["MAX_PAGE_SIZE", "body_of", "page_size", "paged", "records", "segment", "structure"]

MAX_PAGE_SIZE = 100
_T = TypeVar("_T")


def structure(data: object, cls: type[_T], subject: str) -> _T:
    """`data` as a `cls`; a model with a ``raw`` field keeps the record whole there."""
    try:
        result = converter.structure(drop_nulls(data), cls)
    except Exception:  # cattrs groups, TypeError, ValueError: all mean "not that shape"
        problem = Problem("", "invalid_response", f"is not a {subject}")
        raise ValidationError([problem], subject=subject) from None
    if attrs.has(cls) and "raw" in attrs.fields_dict(cls):
        result = attrs.evolve(cast(Any, result), raw=data)
    return result


def body_of(data: object, subject: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        problem = Problem("", "invalid_response", "is not a JSON object")
        raise ValidationError([problem], subject=subject)
    return data


def records(data: object, subject: str) -> list[Any]:
    """An unpaged array answer (``/webhooks``, ``/cases/{id}/payments``...)."""
    if data is None:
        return []
    if not isinstance(data, list):
        problem = Problem("", "invalid_response", "is not a JSON array")
        raise ValidationError([problem], subject=subject)
    return data


def segment(prefix: str, value: str, suffix: str = "") -> str:
    """``prefix/<value>[/suffix]`` with `value` as exactly one escaped path segment."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{prefix}: an id must be a non-empty string")
    path = f"{prefix}/{quote(value, safe='')}"
    return f"{path}/{suffix}" if suffix else path


def page_size(value: object, operation: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{operation}: page_size must be an integer")
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ConfigurationError(f"{operation}: page_size must be 1 to {MAX_PAGE_SIZE}")
    return value


def paged(
    transport: Transport,
    path: str,
    list_key: str,
    convert: Callable[[object], _T],
    *,
    params: Mapping[str, Any] | None = None,
    size: int = MAX_PAGE_SIZE,
    key: Callable[[_T], Hashable] | None = None,
) -> AsyncIterator[_T]:
    """Every item of a paged listing, one ``GET`` per page, each item once (by `key`)."""

    async def fetch(number: int) -> Page[_T]:
        query = {**(params or {}), "Page": number, "PageSize": size}
        response = await transport.request(Request("GET", path, params=query))
        body = body_of(response.body, f"Debitura {list_key} page")
        items = tuple(convert(r) for r in records(body.get(list_key), f"Debitura {list_key}"))
        page = structure(body.get("page") or {}, PageData, "Debitura page")
        if page.current_page is not None and page.total_pages is not None:
            more = page.current_page < page.total_pages
        else:
            more = len(items) >= size
        return Page(items, has_more=more)

    return paginate(fetch, key=key)
