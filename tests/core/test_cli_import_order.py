"""`debtkit import` names each result's input line and writes results in input order,
whatever order the debts settle in."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from debtkit import Registry, to_json
from debtkit.bulk import BulkResult, Outcome
from debtkit.cli import main
from debtkit.cli.output import ResultsFile
from debtkit.model import Case, Debt
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeProvider
from tests.core.fake_cli import FakeAdapter

DEBTS = list(sample_debts(10, seed=8, broken=0.0))


class FirstDebtLast(FakeProvider):
    """Holds the first debt back until every other valid one is created: it settles last."""

    def __init__(self) -> None:
        super().__init__()
        self.others_done = asyncio.Event()

    async def create(self, debt: Debt) -> Case:
        if debt.creditor_reference == DEBTS[0].creditor_reference:
            await asyncio.wait_for(self.others_done.wait(), timeout=60)
        case = await super().create(debt)
        if len(self.cases_by_ref) == len(DEBTS) - 2:  # all but the first and the invalid
            self.others_done.set()
        return case


def test_results_are_in_input_order_and_name_the_input_line(tmp_path: Path) -> None:
    source = tmp_path / "debts.jsonl"
    bad = json.loads(to_json(DEBTS[3]))
    bad["currency"] = "EUX"
    lines = [to_json(d) for d in DEBTS]
    lines[3] = json.dumps(bad)
    source.write_text("\n\n".join(lines) + "\n")  # a blank line between debts: line 2n+1
    adapter = FakeAdapter()
    adapter.provider = FirstDebtLast()
    registry = Registry(use_entry_points=False)
    registry.register(lambda: adapter, name="fake")
    results = tmp_path / "results.jsonl"
    argv = ["import", str(source), "--provider", "fake", "--credential", "api_key=k"]
    main([*argv, "--results", str(results), "--concurrency", "4"], registry)
    written = [json.loads(line) for line in results.read_text().splitlines()]
    assert adapter.provider.create_calls[-1] == DEBTS[0].creditor_reference  # settled last
    assert [r["index"] for r in written] == list(range(len(DEBTS)))
    assert [r["line"] for r in written] == [2 * n + 1 for n in range(len(DEBTS))]
    assert written[3]["outcome"] == "invalid"


def result(index: int) -> BulkResult:
    return BulkResult(index, f"R-{index}", Outcome.CREATED, line=index + 2)


def test_the_reorder_buffer_is_bounded_and_loses_no_result(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsFile(path, reorder_limit=3) as results:
        for index in range(1, 10):  # index 0 is slow
            results.write(result(index))
            assert len(results._waiting) <= 3
        results.write(result(0))
    written = [json.loads(line)["index"] for line in path.read_text().splitlines()]
    assert sorted(written) == list(range(10))
    assert written[:2] == [1, 2]  # written out of order only once the limit was passed


def test_results_still_buffered_are_written_in_order_on_exit(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsFile(path) as results:
        for index in (3, 2, 1):  # 0 never comes: an interrupted import
            results.write(result(index))
    written = [json.loads(line)["index"] for line in path.read_text().splitlines()]
    assert written == [1, 2, 3]


def test_a_result_waiting_for_an_earlier_one_does_not_keep_its_case_in_memory(
    tmp_path: Path,
) -> None:
    import gc
    import weakref

    from debtkit.model import CaseStatus

    case = Case("fake", "id-1", CaseStatus.PENDING, "pending", raw={"big": "x" * 1000})
    alive = weakref.ref(case)
    with ResultsFile(tmp_path / "r.jsonl") as results:
        results.write(BulkResult(1, "R-1", Outcome.CREATED, "id-1", case))  # 0 still to come
        del case
        gc.collect()
        assert alive() is None
        results.write(result(0))
