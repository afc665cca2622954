from __future__ import annotations

import aiohttp
import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit import Adapter, Capability, ConfigurationError, ProviderClient, load_adapter
from debtkit.transport import Response


def test_entry_point_loads_the_debitura_adapter() -> None:
    adapter = load_adapter("debitura")
    assert isinstance(adapter, DebituraAdapter)
    assert isinstance(adapter, Adapter)


def test_client_speaks_the_neutral_provider_client_protocol() -> None:
    assert isinstance(DebituraAdapter().connect({"api_key": "k"}), ProviderClient)


def test_credentials_are_read_from_debitura_api_key() -> None:
    assert dict(DebituraAdapter().credential_env) == {"api_key": "DEBITURA_API_KEY"}


def test_capabilities_include_idempotent_create_preview_and_lookups() -> None:
    assert {
        Capability.CREATE,
        Capability.IDEMPOTENCY_KEY,
        Capability.FIND_BY_REFERENCE,
        Capability.LIST,
        Capability.PREVIEW,
        Capability.SIMULATOR,
    } <= DebituraAdapter().capabilities


def test_rate_limits_count_reads_and_writes_together() -> None:
    limits = DebituraAdapter().rate_limits()
    assert [(r.name, r.limit, r.window, r.kind) for r in limits] == [
        ("minute", 2000, 60.0, "sliding"),
        ("hour", 20000, 3600.0, "fixed"),
        ("day", 100000, 86400.0, "fixed"),
    ]
    assert all(r.request_classes == {"read", "write"} for r in limits)


def test_no_rate_limit_headers_are_parsed() -> None:
    response = Response("GET", "/me", 200, {"X-RateLimit-Remaining": "5"}, {}, None, 0.0)
    assert DebituraAdapter().parse_rate_headers(response) is None


def test_production_is_the_default_environment() -> None:
    client = DebituraAdapter().connect({"api_key": "k"})
    assert client.transport.base_url == "https://customer-api.debitura.com/"


def test_test_environment_is_a_named_preset() -> None:
    client = DebituraAdapter().connect({"api_key": "k"}, environment="test")
    assert client.transport.base_url == "https://testcustomer-api.debitura.com/"


def test_any_base_url_is_accepted() -> None:
    client = DebituraAdapter().connect({"api_key": "k"}, base_url="https://proxy.example/debitura")
    assert client.transport.base_url == "https://proxy.example/debitura/"


@pytest.mark.parametrize(
    ("credentials", "options"),
    [
        ({}, {}),
        ({"api_key": " "}, {}),
        ({"api_key": "k"}, {"environment": "staging"}),
        ({"api_key": "k"}, {"verbose": True}),
    ],
)
def test_bad_connect_arguments_are_configuration_errors(
    credentials: dict[str, str], options: dict[str, object]
) -> None:
    with pytest.raises(ConfigurationError):
        DebituraAdapter().connect(credentials, **options)  # type: ignore[arg-type]


async def test_a_callers_session_is_used_and_left_open(sim: RunningSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with sim.connect(session=session) as client:
            await client.me()
        assert not session.closed
