"""A connection that never reached the server is a connection error, not an ambiguous write."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from debtkit import ConnectionNotMadeError, Registry
from debtkit.bulk import Outcome, bulk_import
from debtkit.errors import ConnectionFailedError, CredentialsUnavailableError
from debtkit.exactly_once import is_ambiguous
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeProvider
from debtkit.transport import Request, Transport


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again on exit: connections are refused


async def test_a_refused_connection_is_not_sent_and_not_ambiguous() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/"
    async with Transport(provider="acme", base_url=base_url) as transport:
        with pytest.raises(ConnectionNotMadeError) as raised:
            await transport.request(Request("POST", "debts", json={}))
    assert raised.value.sent is False
    assert not is_ambiguous(raised.value)


def test_a_reset_after_sending_stays_ambiguous() -> None:
    assert is_ambiguous(ConnectionFailedError("acme", "POST", "debts", "ServerDisconnectedError"))


def test_credentials_unavailable_is_not_ambiguous() -> None:
    cause = ConnectionNotMadeError("acme", "POST", "token", "ClientConnectorError")
    assert not is_ambiguous(CredentialsUnavailableError("acme", "POST", "debts", cause))


async def test_bulk_into_a_server_that_is_down_reports_not_sent_never_ambiguous() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/"
    adapter = Registry().get("debitura")
    async with adapter.connect({"api_key": "k"}, base_url=base_url) as client:
        outcomes = {
            result.outcome async for result in bulk_import(client, sample_debts(3, broken=0.0))
        }
    assert outcomes == {Outcome.NOT_SENT}


async def test_a_create_never_sent_is_sent_again_without_a_lookup() -> None:
    from tests.core.test_exactly_once import Provider, create

    refused = ConnectionNotMadeError("p", "POST", "/debts", "ClientConnectorError")
    provider = Provider([refused, "ok"])
    assert await create(provider) == "case"
    assert (provider.sends, provider.lookups) == (2, 0)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionNotMadeError("fake", "POST", "/debts", "ClientConnectorError"),
        CredentialsUnavailableError(
            "fake", "POST", "/debts", ConnectionFailedError("fake", "POST", "/token", "reset")
        ),
    ],
)
async def test_bulk_records_not_sent_debts_and_a_rerun_sends_them_without_lookup(
    error: Exception, tmp_path: Path
) -> None:
    provider = FakeProvider(fail_before=lambda debt: error)
    debts = list(sample_debts(3, broken=0.0))
    ledger = tmp_path / "ledger.sqlite"
    first = [result.outcome async for result in bulk_import(provider, debts, ledger=ledger)]
    assert first == [Outcome.NOT_SENT] * 3
    provider.fail_before = None
    again = [result.outcome async for result in bulk_import(provider, debts, ledger=ledger)]
    assert again == [Outcome.CREATED] * 3
    assert provider.find_calls == []  # nothing could have landed: no lookup


async def test_a_connect_timeout_is_not_sent_and_not_ambiguous() -> None:
    """One pooled connection is held by a request the server never answers; the next one
    times out waiting for a connection, so nothing of it was written."""
    import asyncio

    import aiohttp
    from aiohttp import web

    entered, release = asyncio.Event(), asyncio.Event()

    async def hold(request: web.Request) -> web.Response:
        entered.set()
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/debts", hold)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), timeout=aiohttp.ClientTimeout(connect=0.2)
    )
    try:
        transport = Transport(
            provider="acme", base_url=f"http://127.0.0.1:{port}/", session=session
        )
        held = asyncio.ensure_future(transport.request(Request("POST", "debts", json={})))
        await asyncio.wait_for(entered.wait(), 60)  # the only connection is now taken
        with pytest.raises(ConnectionNotMadeError) as raised:
            await transport.request(Request("POST", "debts", json={}))
        assert raised.value.sent is False
        assert not is_ambiguous(raised.value)
        release.set()
        await held
    finally:
        release.set()
        await session.close()
        await runner.cleanup()
