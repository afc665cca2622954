"""What `debtkit import` and `debtkit export` write: no personal data in the results file by
default, and no CSV cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from debtkit import Case, CaseStatus, Debt, Registry, unstructure
from debtkit.cli import main
from debtkit.cli.spreadsheet import FORMULA_TRIGGERS, neutralise_formula
from debtkit.testing.fake import FakeProvider
from tests.core.fake_cli import FakeAdapter, debts_file, registry_of

CREDENTIAL = ["--credential", "api_key=k"]


class EchoingProvider(FakeProvider):
    """Keeps the debt it was sent as the case's raw payload, as real providers do."""

    def _store(self, debt: Debt) -> Case:
        case = attrs.evolve(super()._store(debt), raw=unstructure(debt))
        self.cases_by_ref[debt.creditor_reference] = case
        return case


@pytest.fixture
def adapter() -> FakeAdapter:
    adapter = FakeAdapter()
    adapter.provider = EchoingProvider()
    return adapter


@pytest.fixture
def registry(adapter: FakeAdapter) -> Registry:
    return registry_of(adapter)


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_a_cell_starting_with_a_formula_trigger_gets_a_quote(trigger: str) -> None:
    assert neutralise_formula(f"{trigger}SUM(A1:A9)") == f"'{trigger}SUM(A1:A9)"


@pytest.mark.parametrize("number", ["-12.50", "+3", "-0.5", "-1e5", "12"])
def test_a_plain_number_is_left_alone(number: str) -> None:
    assert neutralise_formula(number) == number


@pytest.mark.parametrize("attack", ["-2+3+cmd|' /C calc'!A0", "=HYPERLINK(\"x\")", "@SUM(1)",
                                    "-1-", "+1 2", "-"])  # fmt: skip
def test_a_formula_that_starts_like_a_number_is_neutralised(attack: str) -> None:
    assert neutralise_formula(attack) == "'" + attack


def test_other_cells_and_non_text_are_unchanged() -> None:
    assert neutralise_formula("INV-1=2") == "INV-1=2"
    assert neutralise_formula(None) is None
    assert neutralise_formula(Decimal("-3")) == Decimal("-3")


def test_export_csv_neutralises_hostile_cells(
    registry: Registry, adapter: FakeAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = Case(
        "fake", "=cmd|' /C calc'!A0", CaseStatus.PENDING, provider_status="@SUM(1)",
        creditor_reference="+HYPERLINK(\"http://x\")", amount=Decimal("-12.50"), currency="EUR",
        created_at=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    )  # fmt: skip
    adapter.provider.cases_by_ref["x"] = hostile
    assert main(["export", "--provider", "fake", *CREDENTIAL, "--format", "csv"], registry) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert row["provider_id"] == "'=cmd|' /C calc'!A0"
    assert row["provider_status"] == "'@SUM(1)"
    assert row["creditor_reference"] == '\'+HYPERLINK("http://x")'
    assert row["amount"] == "-12.50"


def _import(source: Path, registry: Registry, *extra: str) -> list[dict[str, object]]:
    results = source.with_suffix(".results.jsonl")
    args = ["import", str(source), "--provider", "fake", *CREDENTIAL, "--results", str(results)]
    assert main([*args, *extra], registry) == 0
    return [json.loads(line) for line in results.read_text().splitlines()]


def _personal_data(source: Path) -> list[str]:
    debts = [json.loads(line) for line in source.read_text().splitlines()]
    return [d["debtor"][k] for d in debts for k in ("phone", "email", "last_name")
            if d["debtor"].get(k)]  # fmt: skip


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return debts_file(tmp_path, 8, seed=2)


def test_results_hold_references_ids_and_outcomes_only(
    source: Path, registry: Registry, adapter: FakeAdapter
) -> None:
    lines = _import(source, registry)
    assert {key for line in lines for key in line} <= {
        "index", "line", "creditor_reference", "outcome", "provider_id", "problems", "error",
        "error_type",
    }  # fmt: skip
    assert all(line["provider_id"] for line in lines)


def test_results_carry_no_debtor_personal_data(source: Path, registry: Registry) -> None:
    _import(source, registry)
    written = source.with_suffix(".results.jsonl").read_text()
    assert _personal_data(source)
    assert [value for value in _personal_data(source) if value in written] == []


def test_results_include_the_case_only_when_asked(source: Path, registry: Registry) -> None:
    lines = _import(source, registry, "--results-include-case")
    assert all(line["case"]["provider_id"] == line["provider_id"] for line in lines)  # type: ignore[index]
    written = source.with_suffix(".results.jsonl").read_text()
    assert all(value in written for value in _personal_data(source))
