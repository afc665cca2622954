"""The token lifetime rule (issue 11, item 6): a token whose ``expires_in`` is absent, not
positive or not finite is used until the API rejects it, never refetched per request."""

from __future__ import annotations

import aiohttp
import pytest
from debtkit_getbill import GetBillAdapter

from debtkit.testing.http_mock import MockHttp
from tests.adapters.getbill.helpers import BASE, SECRET, TOKEN_URL, FakeClock
from tests.adapters.getbill.test_auth import DEBT_URL, serve_debt

CREDENTIALS = {"client_id": "client-1", "client_secret": SECRET}


def token_count(mock_http: MockHttp) -> int:
    return len(mock_http.requests.get(("POST", aiohttp.client.URL(TOKEN_URL)), []))


@pytest.mark.parametrize("expires_in", [None, 0, -5, "NaN", "Infinity", 1e309])
async def test_token_of_unknown_lifetime_is_used_until_rejected(
    mock_http: MockHttp, expires_in: object
) -> None:
    token = {"access_token": "t1", "token_type": "Bearer"}
    if expires_in is not None:
        token["expires_in"] = expires_in  # type: ignore[assignment]
    mock_http.post(TOKEN_URL, payload=token)
    serve_debt(mock_http, times=3)
    clock = FakeClock()
    async with GetBillAdapter().connect(CREDENTIALS, base_url=BASE, clock=clock) as client:
        for _ in range(3):
            await client.get("abc123def456")
            clock.advance(10_000)
    assert token_count(mock_http) == 1


async def test_token_of_unknown_lifetime_is_renewed_once_after_a_401(mock_http: MockHttp) -> None:
    mock_http.post(TOKEN_URL, payload={"access_token": "t1", "token_type": "Bearer"})
    mock_http.post(TOKEN_URL, payload={"access_token": "t2", "token_type": "Bearer"})
    mock_http.get(DEBT_URL, status=401, payload={"message": "expired"})
    serve_debt(mock_http)
    async with GetBillAdapter().connect(CREDENTIALS, base_url=BASE) as client:
        case = await client.get("abc123def456")
    assert case.provider_id
    assert token_count(mock_http) == 2
