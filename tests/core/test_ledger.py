from __future__ import annotations

from pathlib import Path

from debtkit.ledger import Ledger, LedgerState, content_hash
from tests.conftest import make_full_debt


def test_entries_survive_reopening_the_file(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record("getbill", [("R-1", "h1", LedgerState.CREATED, "id-1", None)], "run-1")
    with Ledger(tmp_path / "l.sqlite") as ledger:
        entry = ledger.get("getbill", "R-1")
    assert entry is not None
    assert (entry.state, entry.provider_id, entry.run_id) == (LedgerState.CREATED, "id-1", "run-1")


def test_providers_are_kept_apart(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record("getbill", [("R-1", "h", LedgerState.CREATED, "g", None)])
        assert ledger.get("debitura", "R-1") is None


def test_a_later_record_replaces_the_state_and_keeps_the_run(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record("p", [("R", "h", LedgerState.SENDING, None, None)], "run-1")
        ledger.record("p", [("R", "h", LedgerState.AMBIGUOUS, None, "timed out")])
        entry = ledger.get("p", "R")
    assert entry is not None
    assert (entry.state, entry.last_error, entry.run_id) == (
        LedgerState.AMBIGUOUS,
        "timed out",
        "run-1",
    )


def test_counts_group_by_state(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record(
            "p",
            [
                ("A", "h", LedgerState.CREATED, "1", None),
                ("B", "h", LedgerState.INVALID, None, None),
            ],
        )
        assert ledger.counts("p") == {LedgerState.CREATED: 1, LedgerState.INVALID: 1}


def test_content_hash_changes_with_the_content() -> None:
    debt = make_full_debt()
    assert content_hash(debt) == content_hash(make_full_debt())
    assert content_hash(debt) != content_hash(make_full_debt(description="other"))
