"""Reading Debitura's 2xx answers, strictly.

A case is an ``InvoiceDto`` object with an ``id``; a list of cases is an ``InvoiceListDto``:
``{"page": PageData, "cases": [InvoiceDto] | null}``, ``page`` required (OpenAPI document;
the docs' prose example calls it ``pageData``, also read here). ``currentPage`` and
``totalPages`` are all PageData fields debtkit walks by, so a page without them is not read
as the last one: it is unreadable.

A 2xx that does not read as its shape (no body, text or truncated JSON, another JSON value,
wrong types, a case without an id) raises `MalformedResponseError`, never `ValidationError`
(which means "refused locally before any request") and never an empty result. After a write
the error is ambiguous (`debtkit.exactly_once.is_ambiguous`) and the case is looked up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

import attrs

from debtkit import transport
from debtkit.errors import MalformedResponseError, ValidationError
from debtkit.model import Case
from debtkit.transport import Response
from debtkit_debitura.mapping import PROVIDER, drop_nulls, to_case
from debtkit_debitura.wire import PageData, converter

__all__ = ["case_of", "case_page", "json_object", "structured", "unreadable"]

_T = TypeVar("_T")


def unreadable(response: Response, reason: str) -> MalformedResponseError:
    return transport.unreadable(PROVIDER, response, reason)


def json_object(response: Response) -> Mapping[str, Any]:
    """The body as a JSON object, or `MalformedResponseError`."""
    return transport.json_object(PROVIDER, response)


def _case(response: Response, record: object, where: str) -> Case:
    if not isinstance(record, Mapping):
        raise unreadable(response, f"{where} is not a case object")
    try:
        return to_case(record)
    except ValidationError:
        raise unreadable(response, f"{where} is not an InvoiceDto with an id") from None


def case_of(response: Response) -> Case:
    """The case a single-case answer carries (create, get, lookups)."""
    return _case(response, json_object(response), "body")


def structured(response: Response, data: object, cls: type[_T], where: str) -> _T:
    """`data` (part of `response`) structured as `cls`, or `MalformedResponseError`."""
    try:
        result = converter.structure(drop_nulls(data), cls)
    except Exception:  # cattrs groups, TypeError, ValueError: all mean "not that shape"
        raise unreadable(response, f"{where} is not a {cls.__name__}") from None
    if attrs.has(cls) and "raw" in attrs.fields_dict(cls):
        result = attrs.evolve(cast(Any, result), raw=data)
    return result


def case_page(response: Response) -> tuple[tuple[Case, ...], bool]:
    """The cases of one ``GET /cases`` page, and whether a later page exists."""
    body = json_object(response)
    raw_page = body.get("page", body.get("pageData"))
    if not isinstance(raw_page, Mapping):
        raise unreadable(response, "page is missing or not an object")
    page = structured(response, raw_page, PageData, "page")
    current, total = page.current_page, page.total_pages
    if current is None or total is None:
        raise unreadable(response, "page lacks currentPage or totalPages")
    records = body.get("cases")
    if records is None:  # nullable in the OpenAPI document: no cases on this page...
        if page.response_count:  # ...unless the page itself says it holds some
            raise unreadable(response, "cases is null on a page that counts cases")
        records = []
    if not isinstance(records, list):
        raise unreadable(response, "cases is not a list")
    cases = tuple(_case(response, r, f"cases[{i}]") for i, r in enumerate(records))
    return cases, current < total
