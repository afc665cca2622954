"""`debtkit import --rate NAME=COUNT[/SECONDS]` applies the account's plan to the adapter's
limits; `--option NAME=VALUE` sets a provider option on every row."""

from __future__ import annotations

from pathlib import Path

import pytest

from debtkit import Registry
from debtkit.cli import main
from debtkit.model import Debt
from debtkit.plugin import RateLimit
from tests.core.fake_cli import FakeAdapter, debts_file, registry_of


@pytest.fixture
def adapter() -> FakeAdapter:
    return FakeAdapter()


@pytest.fixture
def registry(adapter: FakeAdapter) -> Registry:
    return registry_of(adapter)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return debts_file(tmp_path, 4, seed=2)


def run(source: Path, registry: Registry, *extra: str) -> int:
    flags = ["--credential", "api_key=k", *extra]
    return main(["import", str(source), "--provider", "fake", *flags], registry)


def test_rate_sets_the_named_limit_with_its_window(
    source: Path, registry: Registry, adapter: FakeAdapter
) -> None:
    assert run(source, registry, "--rate", "all=5/2") == 0
    assert adapter.connected_with[-1]["rate_overrides"] == {"all": RateLimit("all", 5, 2.0)}


def test_rate_without_seconds_keeps_the_limits_window(
    source: Path, registry: Registry, adapter: FakeAdapter
) -> None:
    assert run(source, registry, "--rate", "all=3") == 0
    assert adapter.connected_with[-1]["rate_overrides"] == {"all": RateLimit("all", 3, 1.0)}


def test_an_unknown_rate_name_is_a_usage_error_listing_the_adapters_names(
    source: Path, registry: Registry, adapter: FakeAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(source, registry, "--rate", "week=3") == 2
    assert "has no limit named 'week'; its limits: all" in capsys.readouterr().err
    assert adapter.connected_with == []  # nothing connected, nothing sent


@pytest.mark.parametrize("plan", ["all", "all=", "all=x", "all=0", "all=3/0", "all=3/-1"])
def test_a_malformed_rate_is_a_usage_error(source: Path, registry: Registry, plan: str) -> None:
    assert run(source, registry, "--rate", plan) == 2


def test_option_sets_a_provider_option_on_every_row_json_or_text(
    source: Path, registry: Registry, adapter: FakeAdapter
) -> None:
    sent: list[Debt] = []
    adapter.provider.fail_before = lambda debt: sent.append(debt)  # type: ignore[func-returns-value]
    code = run(
        source, registry, "--option", "flag=true", "--option", "count=3", "--option", "x=a b"
    )
    assert code == 0
    assert len(sent) == 4
    assert {str(d.options["fake"]) for d in sent} == {"{'flag': True, 'count': 3, 'x': 'a b'}"}


def test_an_option_the_adapter_refuses_is_a_usage_error(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["import", str(source), "--provider", "getbill", "--credential", "client_id=a"]
    assert main([*args, "--option", "no_such_option=1"]) == 2
    assert "options.getbill.no_such_option" in capsys.readouterr().err


def test_a_getbill_option_is_accepted(source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["import", str(source), "--provider", "getbill", "--dry-run"]
    assert main([*args, "--option", "accept_expensive_destination=true"]) == 0
