"""Walking every page of a page-numbered listing, yielding each item once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import attrs

from debtkit.model import Case

__all__ = ["Page", "case_key", "paginate"]

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    items: tuple[T, ...]
    has_more: bool


def case_key(case: Case) -> Hashable:
    return case.provider_id


async def paginate(
    fetch: Callable[[int], Awaitable[Page[T]]],
    *,
    key: Callable[[T], Hashable] | None = None,
    first: int = 1,
) -> AsyncIterator[T]:
    """Fetch pages `first`, `first + 1`, ... until one says it is the last.

    Offset pages over live data can repeat a row when something is inserted meanwhile, so
    with a `key` (an item's id) items already yielded are skipped.
    """
    seen: set[Hashable] = set()
    number = first
    while True:
        page = await fetch(number)
        for item in page.items:
            if key is not None:
                identity = key(item)
                if identity in seen:
                    continue
                seen.add(identity)
            yield item
        if not page.has_more or not page.items:
            return
        number += 1
