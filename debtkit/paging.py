"""Walking every page of a page-numbered listing, yielding each case once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import attrs

from debtkit.model import Case

__all__ = ["Page", "paginate"]


@attrs.frozen
class Page:
    cases: tuple[Case, ...]
    has_more: bool


async def paginate(
    fetch: Callable[[int], Awaitable[Page]], *, first: int = 1
) -> AsyncIterator[Case]:
    """Fetch pages `first`, `first + 1`, ... until one says it is the last.

    Offset pages over live data can repeat a row when something is inserted meanwhile, so
    cases already yielded are skipped by provider id.
    """
    seen: set[str] = set()
    number = first
    while True:
        page = await fetch(number)
        for case in page.cases:
            if case.provider_id not in seen:
                seen.add(case.provider_id)
                yield case
        if not page.has_more or not page.cases:
            return
        number += 1
