"""What a caller hands to ``connect()`` is checked up front: a wrong type is a
`ConfigurationError` naming the option, never an AttributeError deep in the budget or a
header encoder (issue 11, item 10)."""

from __future__ import annotations

from typing import Any

import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_getbill import GetBillAdapter

from debtkit import ConfigurationError

ADAPTERS = [
    (GetBillAdapter(), {"access_token": "tok"}),
    (DebituraAdapter(), {"api_key": "key"}),
]
BASE = "http://127.0.0.1:9"


@pytest.mark.parametrize(("adapter", "credentials"), ADAPTERS)
@pytest.mark.parametrize("given", [None, "key", [("api_key", "key")], {"api_key": 5}])
def test_credentials_that_are_not_a_mapping_of_strings_are_a_configuration_error(
    adapter: Any, credentials: Any, given: Any
) -> None:
    with pytest.raises(ConfigurationError):
        adapter.connect(given, base_url=BASE)


@pytest.mark.parametrize(("adapter", "credentials"), ADAPTERS)
@pytest.mark.parametrize("bad", ["s3cr3t\r\nX-Injected: 1", "s3cr3t\ud800"])
def test_a_credential_that_cannot_travel_in_a_header_is_refused_without_its_value(
    adapter: Any, credentials: Any, bad: str
) -> None:
    name = next(iter(credentials))
    with pytest.raises(ConfigurationError) as caught:
        adapter.connect({name: bad}, base_url=BASE)
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(("adapter", "credentials"), ADAPTERS)
@pytest.mark.parametrize(
    "option",
    [
        {"base_url": 5},
        {"base_url": "ftp://example.com"},
        {"session": "session"},
        {"gate": object()},
        {"retry": 3},
        {"timeouts": 10},
        {"relax": "getbill.names"},
        {"rate_overrides": {"write": "many"}},
        {"time_scale": float("nan")},
        {"time_scale": 0},
        {"time_scale": 10**400},  # no float holds it
    ],
)
def test_a_shared_option_of_the_wrong_type_is_a_configuration_error(
    adapter: Any, credentials: Any, option: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError):
        adapter.connect(credentials, **{"base_url": BASE, **option})


@pytest.mark.parametrize(
    "option",
    [
        {"user_agent": "x\ny"},
        {"scope": 5},
        {"renew_margin": "soon"},
        {"renew_margin": -(10**400)},
        {"clock": 5},
    ],
)
def test_a_getbill_option_of_the_wrong_type_is_a_configuration_error(
    option: dict[str, Any],
) -> None:
    with pytest.raises(ConfigurationError):
        GetBillAdapter().connect({"access_token": "tok"}, base_url=BASE, **option)


def test_a_debitura_environment_that_is_not_a_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        DebituraAdapter().connect({"api_key": "key"}, environment=["production"])
