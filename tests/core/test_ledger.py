from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest

from debtkit.bulk.ledger import (
    _DEBTS,
    APPLICATION_ID,
    SCHEMA_VERSION,
    Ledger,
    LedgerState,
    content_hash,
)
from debtkit.errors import LedgerBusyError, LedgerDamagedError, LedgerLostError
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


# Opening is strict: no ledger mistake may lead to a silent resend.


def _used_ledger(path: Path) -> Path:
    with Ledger(path) as ledger:
        ledger.record("p", [("R-1", "h", LedgerState.CREATED, "id-1", None)], "run-1")
    return path


def test_a_fresh_ledger_carries_the_debtkit_marker(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        assert not ledger.rebuilt_after_loss
    with sqlite3.connect(tmp_path / "l.sqlite") as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        meta = dict(db.execute("SELECT key, value FROM ledger_meta"))
    assert meta["format"] == "debtkit-ledger"
    assert float(meta["created_at"]) > 0


def test_a_ledger_emptied_after_use_is_lost_and_named(tmp_path: Path) -> None:
    path = _used_ledger(tmp_path / "l.sqlite")
    path.write_bytes(b"")
    with pytest.raises(LedgerLostError, match="--ledger-lost") as caught:
        Ledger(path)
    assert caught.value.path == str(path)


def test_a_ledger_deleted_after_use_is_lost(tmp_path: Path) -> None:
    path = _used_ledger(tmp_path / "l.sqlite")
    path.unlink()
    with pytest.raises(LedgerLostError, match="is missing"):
        Ledger(path)


def test_earlier_results_prove_a_lost_ledger_without_its_lock_file(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text('{"index":0}\n')
    with pytest.raises(LedgerLostError, match=r"results\.jsonl"):
        Ledger(tmp_path / "l.sqlite", earlier_results=[results])


def test_a_lost_ledger_is_rebuilt_only_when_told_and_stays_marked(tmp_path: Path) -> None:
    path = _used_ledger(tmp_path / "l.sqlite")
    path.unlink()
    with Ledger(path, ledger_lost=True) as ledger:
        assert ledger.rebuilt_after_loss
        assert ledger.get("p", "R-1") is None
    with Ledger(path) as ledger:
        assert ledger.rebuilt_after_loss


def test_random_bytes_are_a_damaged_ledger_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    path.write_bytes(random.Random(3).randbytes(8192))
    with pytest.raises(LedgerDamagedError, match=r"l\.sqlite") as caught:
        Ledger(path, ledger_lost=True)
    assert "rename it" in str(caught.value)


def test_a_database_without_the_marker_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE other (x)")
    with pytest.raises(LedgerDamagedError, match="not a debtkit ledger"):
        Ledger(path)


def test_a_ledger_from_before_the_marker_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(_DEBTS)
        db.execute("INSERT INTO debts VALUES ('p', 'R', 'h', 'created', 'id', NULL, 1.0, NULL)")
    with Ledger(path) as ledger:
        entry = ledger.get("p", "R")
    assert entry is not None
    assert entry.state is LedgerState.CREATED


def test_a_second_holder_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path), pytest.raises(LedgerBusyError, match=f"pid {os.getpid()}"):
        Ledger(path)
    with Ledger(path) as ledger:
        assert ledger.counts("p") == {}


def test_a_refused_open_keeps_the_file_and_its_entries(tmp_path: Path) -> None:
    path = _used_ledger(tmp_path / "l.sqlite")
    with Ledger(path), pytest.raises(LedgerBusyError):
        Ledger(path, ledger_lost=True)
    with Ledger(path) as ledger:
        assert ledger.get("p", "R-1") is not None
        assert not ledger.rebuilt_after_loss
