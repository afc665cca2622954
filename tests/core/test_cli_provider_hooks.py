"""The core CLI's provider hooks: import's optional client ``preflight`` and the
provider-specific commands, with an in-memory adapter (the core knows no real adapter)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from debtkit import Debt, Registry
from debtkit.cli import main
from debtkit.testing.fake import FakeProvider
from tests.core.fake_cli import FakeAdapter, debts_file, registry_of


class CheckingProvider(FakeProvider):
    """A FakeProvider whose preflight counts the debts and always finds something."""

    def __init__(self) -> None:
        super().__init__()
        self.checked: list[int] = []

    async def preflight(self, debts: Iterable[Debt]) -> list[str]:
        count = sum(1 for _ in debts)
        self.checked.append(count)
        return [f"preflight saw {count} debts"]


class CheckingAdapter(FakeAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.provider = self.client = CheckingProvider()


@pytest.fixture
def adapter() -> CheckingAdapter:
    return CheckingAdapter()


@pytest.fixture
def registry(adapter: CheckingAdapter) -> Registry:
    return registry_of(adapter)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return debts_file(tmp_path, 5, seed=3)


FLAGS = ["--provider", "fake", "--credential", "api_key=k"]


def test_import_runs_the_adapters_preflight_before_sending(
    source: Path, registry: Registry, adapter: CheckingAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(source), *FLAGS], registry) == 0
    assert adapter.client.checked == [5]
    assert "preflight saw 5 debts" in capsys.readouterr().out
    assert len(adapter.provider.cases_by_ref) == 5


def test_a_refusing_preflight_stops_the_import_before_any_debt(
    source: Path, registry: Registry, adapter: CheckingAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["import", str(source), *FLAGS, "--preflight", "refuse"], registry)
    assert code == 2
    captured = capsys.readouterr()
    assert "preflight saw 5 debts" in captured.out
    assert "nothing was sent" in captured.err
    assert adapter.provider.cases_by_ref == {}


def test_credits_for_a_provider_without_a_balance_exits_2(
    registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["credits", *FLAGS], registry) == 2
    assert "fake has no company API" in capsys.readouterr().err


def test_followups_for_a_provider_without_them_exits_2(
    registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["followups", "CASE-1", *FLAGS], registry) == 2
    assert "fake has no followups API" in capsys.readouterr().err
