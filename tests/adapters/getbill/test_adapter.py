from __future__ import annotations

import logging

import pytest
from debtkit_getbill import DEFAULT_BASE_URL, GetBillAdapter
from debtkit_getbill.simulator import RunningSimulator

from debtkit import Adapter, Capability, ConfigurationError, ProviderClient, RateLimit, Registry
from tests.adapters.getbill.helpers import SECRET, person_debt


def test_entry_point_loads_the_getbill_adapter() -> None:
    adapter = Registry().get("getbill")
    assert isinstance(adapter, GetBillAdapter)
    assert isinstance(adapter, Adapter)


def test_rate_limits_are_the_documented_budgets() -> None:
    assert GetBillAdapter().rate_limits() == (
        RateLimit("write", 500, 3600, "sliding", frozenset({"write"})),
        RateLimit("read", 1000, 3600, "sliding", frozenset({"read"})),
    )


def test_credentials_come_from_the_documented_environment_variables() -> None:
    assert dict(GetBillAdapter().credential_env) == {
        "client_id": "GETBILL_CLIENT_ID",
        "client_secret": "GETBILL_CLIENT_SECRET",
    }


def test_capabilities_include_batch_and_simulator_but_no_idempotency_key() -> None:
    capabilities = GetBillAdapter().capabilities
    assert {Capability.BATCH_CREATE, Capability.SIMULATOR, Capability.DELETE} <= capabilities
    assert Capability.IDEMPOTENCY_KEY not in capabilities


def test_missing_secret_is_a_configuration_error_naming_it_not_the_values() -> None:
    with pytest.raises(ConfigurationError) as caught:
        GetBillAdapter().connect({"client_id": "visible-id"})
    assert "client_secret" in str(caught.value)
    assert "visible-id" not in str(caught.value)


def test_unknown_credential_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="api_key"):
        GetBillAdapter().connect({"api_key": SECRET})


def test_unknown_connect_option_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="colour"):
        GetBillAdapter().connect({"access_token": "t"}, colour="blue")


async def test_default_base_url_and_token_url() -> None:
    async with GetBillAdapter().connect({"client_id": "i", "client_secret": SECRET}) as client:
        assert client.transport.base_url == DEFAULT_BASE_URL + "/"
        auth = client.transport.auth
        assert auth is not None
        assert getattr(auth, "token_url", None) == "https://getbill.io/token"


async def test_client_is_a_provider_client_whose_repr_hides_secrets() -> None:
    async with GetBillAdapter().connect({"client_id": "i", "client_secret": SECRET}) as client:
        assert isinstance(client, ProviderClient)
        assert SECRET not in repr(client)
        assert SECRET not in repr(client.transport.auth)


async def test_no_secret_or_personal_data_is_logged(
    getbill_simulator: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="debtkit")
    async with getbill_simulator.connect() as client:
        await client.create_batch([person_debt("LOG-1")])
        await client.create(person_debt("LOG-2"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    for value in (getbill_simulator.credentials["client_secret"], "Curie", "0612345678", "+3361"):
        assert value not in text
    assert any(r.name == "debtkit.getbill" for r in caplog.records)
