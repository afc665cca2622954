from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from debtkit import Adapter, ConfigurationError, Registry, UnknownProviderError
from debtkit import registry as registry_module
from tests.core.acme_adapter import AcmeAdapter


def test_registered_adapter_is_found_by_name() -> None:
    registry = Registry(use_entry_points=False)
    registry.register(AcmeAdapter)
    adapter = registry.get("acme")
    assert isinstance(adapter, AcmeAdapter)
    assert isinstance(adapter, Adapter)


def test_entry_point_adapter_is_loaded_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint(
        "acme", "tests.core.acme_adapter:AcmeAdapter", registry_module.ENTRY_POINT_GROUP
    )
    loads: list[str] = []
    original = EntryPoint.load

    def counting_load(self: EntryPoint) -> object:
        loads.append(self.name)
        return original(self)

    monkeypatch.setattr(registry_module, "entry_points", lambda group: [point])
    monkeypatch.setattr(EntryPoint, "load", counting_load)
    registry = Registry()
    assert registry.names() == ["acme"]
    assert loads == []
    assert registry.get("acme").name == "acme"
    registry.get("acme")
    assert loads == ["acme"]


def test_unknown_provider_lists_the_installed_ones() -> None:
    registry = Registry(use_entry_points=False)
    registry.register(AcmeAdapter)
    with pytest.raises(UnknownProviderError, match="installed adapters: acme"):
        registry.get("nope")


def test_registries_do_not_share_registrations() -> None:
    first = Registry(use_entry_points=False)
    first.register(AcmeAdapter)
    assert "acme" not in Registry(use_entry_points=False).names()


def test_object_that_is_not_an_adapter_is_refused() -> None:
    registry = Registry(use_entry_points=False)
    registry.register(lambda: object(), name="junk")
    with pytest.raises(ConfigurationError):
        registry.get("junk")
