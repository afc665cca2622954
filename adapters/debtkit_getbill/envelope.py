"""Reading GetBill's response envelopes, strictly.

GetBill wraps every answer (fact sheet §3, §6): one object is
``{"error": false, "message": ..., "data": {...}}``, a list is
``{"error": false, "data": [...], "pagination": {"total", "page", "limit", "pages"}}`` and a
batch is ``{"error": false, "data": {"created": [...], "failed": [...], "skipped": [...]}}``.

A 2xx that does not read as its envelope (no body, text or truncated JSON, another JSON
value, ``"error": true``, ``data`` of the wrong type, a debt without an id, no pagination)
raises `MalformedResponseError`: never an empty result and never `ValidationError`, which
means "refused locally before any request". Whether that is ambiguous (a write) or a plain
failure (a read) is the caller's to decide (`debtkit.exactly_once.is_ambiguous`).

``error`` may be absent (the safe reading of an envelope that only ever says ``false``), but
when present it must be ``false``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from debtkit import Case, MalformedResponseError, ValidationError, transport
from debtkit.transport import Response
from debtkit_getbill.options import PROVIDER
from debtkit_getbill.wire import case_from_record

__all__ = ["batch_data", "case_of", "envelope", "list_page", "unreadable"]


def unreadable(response: Response, reason: str) -> MalformedResponseError:
    return transport.unreadable(PROVIDER, response, reason)


def envelope(response: Response) -> Mapping[str, Any]:
    """The body as GetBill's envelope object, or `MalformedResponseError`."""
    body = transport.json_object(PROVIDER, response)
    if "error" in body and body["error"] is not False:
        raise unreadable(response, "envelope reports an error")
    return body


def _case(response: Response, record: object, where: str) -> Case:
    if not isinstance(record, Mapping):
        raise unreadable(response, f"{where} is not a debt object")
    try:
        return case_from_record(record)
    except ValidationError:
        raise unreadable(response, f"{where} is not a GetBill debt with an id") from None


def case_of(response: Response) -> Case:
    """The debt in a single-object answer (create, get, update)."""
    return _case(response, envelope(response).get("data"), "data")


def list_page(response: Response) -> tuple[tuple[Case, ...], int]:
    """The debts of one list page and the number of pages (``pagination.pages``)."""
    body = envelope(response)
    records = body.get("data")
    if not isinstance(records, list):
        raise unreadable(response, "data is not a list")
    pagination = body.get("pagination")
    pages = pagination.get("pages") if isinstance(pagination, Mapping) else None
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
        raise unreadable(response, "pagination.pages is missing or not a count")
    cases = tuple(_case(response, r, f"data[{i}]") for i, r in enumerate(records))
    return cases, pages


def batch_data(response: Response) -> Mapping[str, Sequence[Mapping[str, Any]]]:
    """The ``created``/``failed``/``skipped`` lists of a batch answer (absent ones empty)."""
    data = envelope(response).get("data")
    if not isinstance(data, Mapping):
        raise unreadable(response, "data is not an object")
    lists: dict[str, Sequence[Mapping[str, Any]]] = {}
    for key in ("created", "failed", "skipped"):
        items = data.get(key)
        if items is None:
            items = []
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            raise unreadable(response, f"data.{key} is not a list of objects")
        lists[key] = items
    for item in lists["created"]:
        debt_id = item.get("debt_id")
        if isinstance(debt_id, bool) or not isinstance(debt_id, (str, int)) or debt_id == "":
            raise unreadable(response, "data.created holds an entry without a debt_id")
    if not any(lists.values()):
        # An answer that mentions none of the debts sent says nothing about them.
        raise unreadable(response, "batch answer lists no debt")
    return lists
