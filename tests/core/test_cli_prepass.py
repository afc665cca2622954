"""The pre-import reading: the adapter's cost estimate and the client's preflight share one
reading of the input (`debtkit.cli.prepass`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from debtkit import Debt
from debtkit.cli import commands, main
from debtkit.cli.prepass import SharedPass
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeProvider
from tests.core.fake_cli import FakeAdapter, debts_file, registry_of

DEBTS = list(sample_debts(1_000, seed=5, broken=0.0))


def references(debts: Iterable[Debt]) -> list[str]:
    return [debt.creditor_reference for debt in debts]


def test_both_consumers_get_every_debt_in_order() -> None:
    with SharedPass(DEBTS, references) as shared:
        read = references(shared)
        assert shared.finish() == read == references(DEBTS)


def test_the_side_consumer_gets_what_the_main_one_left_unread() -> None:
    with SharedPass(DEBTS, references) as shared:
        first = next(iter(shared))
        assert first is DEBTS[0]
        assert shared.finish() == references(DEBTS)


def test_the_side_consumers_error_is_raised_after_the_main_one_read_everything() -> None:
    def failing(debts: Iterator[Debt]) -> int:
        next(debts)
        raise ValueError("estimate failed")

    with SharedPass(DEBTS, failing) as shared:
        assert len(references(shared)) == len(DEBTS)
        with pytest.raises(ValueError, match="estimate failed"):
            shared.finish()


def test_a_failing_source_ends_the_side_consumer() -> None:
    def source() -> Iterator[Debt]:
        yield from DEBTS[:300]
        raise OSError("disk gone")

    with pytest.raises(OSError), SharedPass(source(), references) as shared:
        references(shared)


class EstimatingProvider(FakeProvider):
    async def preflight(self, debts: Iterable[Debt]) -> list[str]:
        return [f"preflight saw {sum(1 for _ in debts)} debts"]


class EstimatingAdapter(FakeAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.provider = self.client = EstimatingProvider()

    def estimate_cost(self, debts: Iterable[Debt]) -> list[str]:
        return [f"estimate of {sum(1 for _ in debts)} debts"]


def count_readings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows read by each reading of the input, for every reading that read any."""
    readings: list[int] = []
    read_debts = commands.read_debts

    def counting(*args: object, **kwargs: object) -> Iterator[object]:
        readings.append(0)
        slot = len(readings) - 1
        for row in read_debts(*args, **kwargs):  # type: ignore[arg-type]
            readings[slot] += 1
            yield row

    monkeypatch.setattr(commands, "read_debts", counting)
    return readings


def test_an_import_reads_its_rows_once_for_estimate_and_preflight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readings = count_readings(monkeypatch)
    source = debts_file(tmp_path, 7, seed=3)
    flags = ["--provider", "fake", "--credential", "api_key=k"]
    assert main(["import", str(source), *flags], registry_of(EstimatingAdapter())) == 0
    out = capsys.readouterr().out
    assert "estimate of 7 debts" in out
    assert "preflight saw 7 debts" in out
    assert [n for n in readings if n] == [7, 7]  # the pre-import reading, the import's own


def test_an_import_without_estimate_or_preflight_reads_its_rows_only_to_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readings = count_readings(monkeypatch)
    source = debts_file(tmp_path, 7, seed=3)
    flags = ["--provider", "fake", "--credential", "api_key=k"]
    assert main(["import", str(source), *flags], registry_of(FakeAdapter())) == 0
    assert [n for n in readings if n] == [7]  # the import's own only
