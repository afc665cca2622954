"""Hostile GetBill answers for every family call: whatever the body and status, a call
returns its typed result or raises a debtkit error, and every listing ends."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

from debtkit_getbill import GetBillAdapter, GetBillClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debtkit import DebtkitError, jsonutil
from debtkit.budget import NO_BUDGET
from debtkit.retry import NO_RETRY
from debtkit.testing.http_mock import MockHttp
from tests.adapters.getbill.helpers import BASE

KEYS = st.sampled_from(
    ["data", "id", "pagination", "pages", "message", "error", "type", "status", "firstName",
     "current_credits", "subscription", "download_url", "file_size", "expires_at", "totalAmount",
     "call_date", "debt_id", "amount", "errors", "details"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.text(max_size=12),
    st.sampled_from(["2024-01-15 10:30:00", "2024-01-22T10:30:00+00:00", "NaN", "1e999", ""]),
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=12,
)
STATUSES = st.sampled_from([200, 200, 200, 201, 400, 401, 403, 404, 422, 429, 500, 503])


async def _drain(stream: Any) -> None:
    async for _ in stream:
        pass


CALLS: list[Callable[[GetBillClient], Awaitable[Any]]] = [
    lambda c: _drain(c.followups.list()),
    lambda c: c.followups.get("f"),
    lambda c: _drain(c.followups.by_debt("d")),
    lambda c: c.followups.create("d", type="call"),
    lambda c: c.followups.update("f", notes="n"),
    lambda c: _drain(c.debtors.list()),
    lambda c: c.debtors.get("d"),
    lambda c: c.debtors.update("d", email="e@example.com"),
    lambda c: _drain(c.debtors.debts("d")),
    lambda c: _drain(c.creditors.list()),
    lambda c: c.creditors.get("c"),
    lambda c: c.creditors.update("c", name="n"),
    lambda c: c.creditors.partial_update("c", city="x"),
    lambda c: _drain(c.creditors.debts("c")),
    lambda c: c.company.profile(),
    lambda c: c.company.credits(),
    lambda c: _drain(c.company.users()),
    lambda c: _drain(c.reports.list()),
    lambda c: c.reports.get("r"),
    lambda c: c.reports.download("r"),
]


async def _run(call: Callable[[GetBillClient], Awaitable[Any]], status: int, body: Any) -> None:
    text = jsonutil.dumps(body)
    with MockHttp() as mock_http:
        for method in ("GET", "POST", "PUT", "PATCH"):
            mock_http.add(re.compile(re.escape(BASE) + r"/.*"), method, status=status,
                          body=text, content_type="application/json", repeat=True)  # fmt: skip
        client = GetBillAdapter().connect(
            {"access_token": "t"}, base_url=BASE, retry=NO_RETRY, gate=NO_BUDGET
        )
        async with client:
            with contextlib.suppress(DebtkitError):
                await asyncio.wait_for(call(client), timeout=60)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=st.sampled_from(CALLS), status=STATUSES, body=JSON)
def test_any_answer_gives_a_result_or_a_debtkit_error(
    call: Callable[[GetBillClient], Awaitable[Any]], status: int, body: Any
) -> None:
    asyncio.run(_run(call, status, body))


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=st.sampled_from(CALLS), records=st.lists(st.dictionaries(KEYS, SCALARS), max_size=3))
def test_a_page_repeated_forever_ends_the_listing(
    call: Callable[[GetBillClient], Awaitable[Any]], records: list[dict[str, Any]]
) -> None:
    body = {"error": False, "data": [{**r, "id": "same"} for r in records],
            "pagination": {"total": 10**9, "page": 1, "limit": 100, "pages": 10**7}}  # fmt: skip
    asyncio.run(_run(call, 200, body))
