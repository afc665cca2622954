"""Both adapters' clients pointed at a `HostileServer`, and every call of theirs that sends a
request, by name: the adversarial tests drive each call against each misbehaviour."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from debtkit_debitura import DebituraAdapter, DebituraClient
from debtkit_getbill import GetBillAdapter, GetBillClient

from debtkit.retry import RetryPolicy
from debtkit.transport import Timeouts
from tests.adversarial.hostile_server import HostileServer
from tests.conftest import make_full_debt

# Short enough that nothing waits long, generous enough for a loaded 2-core machine: the
# assertions never depend on them being met, only on every call ending.
RETRY = RetryPolicy(attempts=2, base=0.01, cap=0.05, max_server_wait=0.5)
TIMEOUTS = Timeouts(total=5.0, connect=2.0, read=0.5)
MAX_RESPONSE_BYTES = 2 * 1024 * 1024  # a configured limit; the default one has its own test
TODAY = dt.date(2024, 6, 1)

Call = Callable[[Any], Awaitable[object]]


def secrets_of(credentials: Mapping[str, str]) -> list[str]:
    return [value for name, value in credentials.items() if name != "client_id"]


def getbill_credentials() -> dict[str, str]:
    # Unique per client: each test gets its own budget from the default pool.
    return {"client_id": f"cid-{uuid.uuid4()}", "client_secret": f"secret-{uuid.uuid4()}"}


def debitura_credentials() -> dict[str, str]:
    return {"api_key": f"key-{uuid.uuid4()}"}


def getbill(
    hostile: HostileServer, credentials: Mapping[str, str], **options: Any
) -> GetBillClient:
    options.setdefault("retry", RETRY)
    options.setdefault("timeouts", TIMEOUTS)
    options.setdefault("max_response_bytes", MAX_RESPONSE_BYTES)
    return GetBillAdapter().connect(credentials, base_url=hostile.getbill_url, **options)


def debitura(
    hostile: HostileServer, credentials: Mapping[str, str], **options: Any
) -> DebituraClient:
    options.setdefault("retry", RETRY)
    options.setdefault("timeouts", TIMEOUTS)
    options.setdefault("max_response_bytes", MAX_RESPONSE_BYTES)
    return DebituraAdapter().connect(
        credentials, base_url=hostile.debitura_url, clock=lambda: TODAY, **options
    )


async def _all(cases: Any) -> list[object]:
    return [case async for case in cases]


def _debt(reference: str = "INV-2024-001") -> Any:
    return make_full_debt(creditor_reference=reference)


def _since() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


GETBILL_CALLS: Mapping[str, Call] = {
    "get": lambda c: c.get("debt-1"),
    "find": lambda c: c.find("INV-2024-001"),
    "cases": lambda c: _all(c.cases()),
    "find_many": lambda c: c.find_many(["INV-2024-001"], since=_since()),
    "create": lambda c: c.create(_debt()),
    "create_unchecked": lambda c: c.create(_debt(), check_existing=False),
    "create_batch": lambda c: c.create_batch([_debt("INV-A"), _debt("INV-B")]),
    "update": lambda c: c.update("debt-1", city="Lyon"),
    "delete": lambda c: c.delete("debt-1"),
}

DEBITURA_CALLS: Mapping[str, Call] = {
    "create": lambda c: c.create(_debt()),
    "preview": lambda c: c.preview(_debt()),
    "me": lambda c: c.me(),
    "get": lambda c: c.get("0b7e6c1e-52ad-4c2c-9d1b-0c1f2a3b4c5d"),
    "get_by_case_reference": lambda c: c.get_by_case_reference("Q8OAXF3W"),
    "find": lambda c: c.find("INV-2024-001"),
    "cases": lambda c: _all(c.cases()),
}

# The calls that put an id into the URL path, and how each takes it.
GETBILL_ID_CALLS: Mapping[str, Callable[[Any, Any], Awaitable[object]]] = {
    "get": lambda c, i: c.get(i),
    "update": lambda c, i: c.update(i, city="Lyon"),
    "delete": lambda c, i: c.delete(i),
}
DEBITURA_ID_CALLS: Mapping[str, Callable[[Any, Any], Awaitable[object]]] = {
    "get": lambda c, i: c.get(i),
    "get_by_case_reference": lambda c, i: c.get_by_case_reference(i),
    "find": lambda c, i: c.find(i),
}
