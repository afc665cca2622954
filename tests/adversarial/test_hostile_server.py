"""Every call of both adapters against every misbehaviour of a hostile server on loopback.

Each call is bounded by `asyncio.wait_for` (a hang fails the test with `TimeoutError`), and
anything it raises that is not a `DebtkitError` fails the test as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from debtkit import ItemResult
from debtkit.errors import (
    AmbiguousWriteError,
    CredentialsUnavailableError,
    DebtkitError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    RedirectError,
    ResponseTooLargeError,
    ValidationError,
)
from tests.adversarial.clients import (
    DEBITURA_CALLS,
    DEBITURA_ID_CALLS,
    GETBILL_CALLS,
    GETBILL_ID_CALLS,
    RETRY,
    Call,
    debitura,
    debitura_credentials,
    getbill,
    getbill_credentials,
    secrets_of,
)
from tests.adversarial.hostile_server import HostileServer, Misbehaviour
from tests.conftest import make_full_debt

BOUND = 20.0  # seconds: generous; every call normally ends in well under one

PROVIDERS: Mapping[str, tuple[Any, Any, Mapping[str, Call]]] = {
    "getbill": (getbill, getbill_credentials, GETBILL_CALLS),
    "debitura": (debitura, debitura_credentials, DEBITURA_CALLS),
}
EVERY_CALL = [(provider, name) for provider, (_, _, calls) in PROVIDERS.items() for name in calls]
REDIRECTS = [
    Misbehaviour.REDIRECT_302,
    Misbehaviour.REDIRECT_307,
    Misbehaviour.REDIRECT_308,
    Misbehaviour.REDIRECT_LOOP,
    Misbehaviour.TOKEN_REDIRECT_307,
]
HUGE_WAITS = [
    Misbehaviour.RETRY_AFTER_HUGE,
    Misbehaviour.RETRY_AFTER_INFINITE,
    Misbehaviour.RETRY_AFTER_IN_BODY,
    Misbehaviour.RATE_RESET_FAR,
]


async def outcome(call: Call, client: Any) -> object:
    """What the call returned, or the debtkit error it raised; any other exception (or a
    hang, as `TimeoutError`) propagates and fails the test."""
    try:
        return await asyncio.wait_for(call(client), BOUND)
    except DebtkitError as error:
        return error


async def run(
    hostile: HostileServer, provider: str, name: str, **options: Any
) -> tuple[object, dict[str, str]]:
    connect, credentials_for, calls = PROVIDERS[provider]
    credentials = credentials_for()
    async with connect(hostile, credentials, **options) as client:
        return await outcome(calls[name], client), credentials


@pytest.mark.parametrize("misbehaviour", list(Misbehaviour), ids=lambda m: m.name.lower())
@pytest.mark.parametrize(("provider", "name"), EVERY_CALL, ids=[f"{p}-{n}" for p, n in EVERY_CALL])
async def test_call_ends_with_a_result_or_a_debtkit_error(
    misbehaviour: Misbehaviour, provider: str, name: str
) -> None:
    async with HostileServer() as hostile:
        hostile.serve(misbehaviour)
        result, _ = await run(hostile, provider, name)
    if isinstance(result, list):  # a batch reports per debt instead of raising
        for item in result:
            assert isinstance(item, ItemResult)
            assert item.error is None or isinstance(item.error, DebtkitError)


@pytest.mark.parametrize("misbehaviour", REDIRECTS, ids=lambda m: m.name.lower())
@pytest.mark.parametrize(("provider", "name"), EVERY_CALL, ids=[f"{p}-{n}" for p, n in EVERY_CALL])
async def test_no_request_and_no_credential_reaches_another_origin(
    misbehaviour: Misbehaviour, provider: str, name: str
) -> None:
    async with HostileServer() as hostile:
        hostile.serve(misbehaviour)
        _, credentials = await run(hostile, provider, name)
        received = hostile.foreign.received
    leaked = [
        r
        for r in received
        for secret in secrets_of(credentials)
        if secret.encode() in r.body or any(secret in v for v in r.headers.values())
    ]
    assert not leaked
    assert not [
        r for r in received if {"authorization", "xapikey"} & {h.lower() for h in r.headers}
    ]
    assert received == []  # redirects are not followed at all


@pytest.mark.parametrize("provider", ["getbill", "debitura"])
async def test_redirect_is_a_redirect_error(provider: str) -> None:
    async with HostileServer() as hostile:
        hostile.serve(Misbehaviour.REDIRECT_307)
        result, _ = await run(hostile, provider, "get")
    assert isinstance(result, RedirectError)
    assert result.status == 307


@pytest.mark.parametrize("provider", ["getbill", "debitura"])
async def test_redirect_loop_is_a_redirect_error_after_one_request(provider: str) -> None:
    async with HostileServer() as hostile:
        hostile.serve(Misbehaviour.REDIRECT_LOOP)
        result, _ = await run(hostile, provider, "get")
        assert len(hostile.requests) == 1  # neither followed nor retried
    assert isinstance(result, RedirectError)


# -- item 5: server-requested waits are capped ------------------------------------------------


@pytest.mark.parametrize(
    "misbehaviour",
    [
        Misbehaviour.RETRY_AFTER_HUGE,
        Misbehaviour.RETRY_AFTER_INFINITE,
        Misbehaviour.RETRY_AFTER_IN_BODY,
    ],
    ids=lambda m: m.name.lower(),
)
@pytest.mark.parametrize("provider", ["getbill", "debitura"])
async def test_wait_past_the_cap_is_a_rate_limited_error_with_the_servers_value(
    misbehaviour: Misbehaviour, provider: str
) -> None:
    async with HostileServer() as hostile:
        hostile.serve(misbehaviour)
        result, _ = await run(hostile, provider, "get")
        assert len(hostile.requests) == 1  # not retried: the wait is past max_server_wait
    assert isinstance(result, RateLimitedError)
    assert result.retry_after is not None
    assert result.retry_after > 1e7


@pytest.mark.parametrize("misbehaviour", HUGE_WAITS, ids=lambda m: m.name.lower())
@pytest.mark.parametrize("provider", ["getbill", "debitura"])
async def test_after_a_huge_server_wait_the_credentials_budget_lets_the_next_call_through(
    misbehaviour: Misbehaviour, provider: str
) -> None:
    connect, credentials_for, calls = PROVIDERS[provider]
    credentials = credentials_for()  # one credential, so one shared budget, for both clients
    async with (
        HostileServer() as hostile,
        connect(hostile, credentials) as first,
        connect(hostile, credentials) as second,
    ):
        hostile.serve(misbehaviour, times=1)
        assert isinstance(await outcome(calls["get"], first), DebtkitError)
        sent = len(hostile.requests)
        # The server is healthy again: another client of the credential gets through.
        result = await outcome(calls["get"], second)
        assert len(hostile.requests) == sent + 1
    assert isinstance(result, NotFoundError)  # the healthy server's answer


# -- item 6: token errors do not multiply retries ---------------------------------------------


@pytest.mark.parametrize("name", list(GETBILL_CALLS))
async def test_token_502_costs_one_retry_schedule_and_sends_nothing(name: str) -> None:
    async with HostileServer() as hostile:
        hostile.serve(Misbehaviour.TOKEN_502)
        result, _ = await run(hostile, "getbill", name)
        assert hostile.token_requests == RETRY.attempts
        assert hostile.requests == []
    errors = [i.error for i in result] if isinstance(result, list) else [result]
    assert errors
    assert all(isinstance(e, CredentialsUnavailableError) for e in errors)


async def test_token_502_costs_one_retry_schedule_for_a_batch_of_many_chunks() -> None:
    async with HostileServer() as hostile:
        hostile.serve(Misbehaviour.TOKEN_502)
        async with getbill(hostile, getbill_credentials()) as client:
            debts = [make_full_debt(creditor_reference=f"INV-{i}") for i in range(3)]
            results = await asyncio.wait_for(client.create_batch(debts, chunk_size=1), BOUND)
        assert hostile.token_requests == RETRY.attempts
    assert all(isinstance(r.error, CredentialsUnavailableError) for r in results)


@pytest.mark.parametrize(
    "misbehaviour",
    [
        Misbehaviour.TOKEN_EXPIRES_ZERO,
        Misbehaviour.TOKEN_EXPIRES_NEGATIVE,
        Misbehaviour.TOKEN_EXPIRES_ABSENT,
    ],
    ids=lambda m: m.name.lower(),
)
async def test_token_without_a_usable_lifetime_is_fetched_once_for_many_calls(
    misbehaviour: Misbehaviour,
) -> None:
    async with HostileServer() as hostile:
        hostile.serve(misbehaviour)
        async with getbill(hostile, getbill_credentials()) as client:
            for _ in range(3):
                assert isinstance(await outcome(GETBILL_CALLS["get"], client), NotFoundError)
        assert hostile.token_requests == 1
        assert len(hostile.requests) == 3


# -- item 8: responses have a size limit ------------------------------------------------------


@pytest.mark.parametrize("misbehaviour", [Misbehaviour.HUGE_BODY, Misbehaviour.HUGE_BODY_DECLARED])
@pytest.mark.parametrize("provider", ["getbill", "debitura"])
async def test_default_size_limit_stops_a_100_mb_body(
    misbehaviour: Misbehaviour, provider: str
) -> None:
    from debtkit.transport import DEFAULT_MAX_RESPONSE_BYTES

    async with HostileServer() as hostile:
        hostile.serve(misbehaviour)
        result, _ = await run(
            hostile, provider, "get", max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES
        )
        assert len(hostile.requests) == 1  # the same answer would come back: not retried
    assert isinstance(result, ResponseTooLargeError)
    assert result.limit == DEFAULT_MAX_RESPONSE_BYTES


@pytest.mark.parametrize(
    ("provider", "name"), [("getbill", "create_unchecked"), ("debitura", "create")]
)
async def test_2xx_too_large_to_read_after_a_create_is_ambiguous(provider: str, name: str) -> None:
    async with HostileServer() as hostile:
        hostile.serve(Misbehaviour.HUGE_BODY)
        result, _ = await run(hostile, provider, name)
    assert isinstance(result, AmbiguousWriteError)


async def test_getbill_create_whose_lookup_is_too_large_sends_no_write() -> None:
    async with HostileServer() as hostile:
        hostile.serve(Misbehaviour.HUGE_BODY)
        result, _ = await run(hostile, "getbill", "create")
        posts = [(m, p) for m, p in hostile.requests if m == "POST"]
    assert isinstance(result, ResponseTooLargeError)
    assert posts == []


# -- item 9: ids are path segments ------------------------------------------------------------

ID_CALLS = [("getbill", n) for n in GETBILL_ID_CALLS] + [("debitura", n) for n in DEBITURA_ID_CALLS]


def _id_call(provider: str, name: str) -> Any:
    return (GETBILL_ID_CALLS if provider == "getbill" else DEBITURA_ID_CALLS)[name]


@pytest.mark.parametrize("bad_id", ["", ".", "..", None, 7])
@pytest.mark.parametrize(("provider", "name"), ID_CALLS, ids=[f"{p}-{n}" for p, n in ID_CALLS])
async def test_unaddressable_id_is_refused_before_any_request(
    provider: str, name: str, bad_id: object
) -> None:
    connect, credentials_for, _ = PROVIDERS[provider]
    async with HostileServer() as hostile:
        async with connect(hostile, credentials_for()) as client:
            result = await outcome(lambda c: _id_call(provider, name)(c, bad_id), client)
        assert hostile.requests == []
    assert isinstance(result, ValidationError)


@pytest.mark.parametrize(("provider", "name"), ID_CALLS, ids=[f"{p}-{n}" for p, n in ID_CALLS])
async def test_id_is_one_path_segment_with_every_reserved_character_escaped(
    provider: str, name: str
) -> None:
    connect, credentials_for, _ = PROVIDERS[provider]
    async with HostileServer() as hostile:
        async with connect(hostile, credentials_for()) as client:
            await outcome(lambda c: _id_call(provider, name)(c, "../a/b?c#d%e f"), client)
        (_, path), *_ = hostile.requests
    assert path.endswith("/..%2Fa%2Fb%3Fc%23d%25e%20f")


# -- item 10: typed errors only ---------------------------------------------------------------


@pytest.mark.parametrize("provider", ["getbill", "debitura"])
async def test_reply_that_is_not_http_is_a_protocol_error(provider: str) -> None:
    async with HostileServer() as hostile:
        hostile.serve(Misbehaviour.NOT_HTTP)
        result, _ = await run(hostile, provider, "get")
    assert isinstance(result, ProtocolError)
