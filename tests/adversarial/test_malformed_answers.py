"""Bulk imports of 500 debts into each simulator while it commits writes and then answers them
2xx with a body that cannot be read (`Faults.malformed_response`: ``{"error": true}``, empty,
truncated, wrong types, a JSON array, plain text), then reruns with the same ledger.

Such an answer is ambiguous, never invalid: every debt must end up at the provider exactly
once, no run may create one twice, and the ledger must agree. With lookups and listings
spoiled too, an unreadable page must fail the lookup, never read as "absent"; and `debtkit
export` of an unreadable listing fails instead of exporting nothing.
"""

from __future__ import annotations

import collections
import http.server
import itertools
import threading
from pathlib import Path
from typing import Any

import pytest

from debtkit import Debt, RateLimit, load_adapter
from debtkit.budget import default_pool
from debtkit.bulk import BulkResult, Outcome, bulk_import
from debtkit.bulk.ledger import Ledger, LedgerState
from debtkit.cli import main
from debtkit.retry import RetryPolicy
from debtkit.sample import sample_debts
from debtkit.simulator import MALFORMED_SHAPES, Faults

DEBTS = 500
RERUNS = 12  # a run leaves a debt unsettled only when its lookup failed as well
RETRY = RetryPolicy(attempts=4, base=0.01, cap=0.05)
GENEROUS = 1_000_000  # this is about answers, not limits
GETBILL_API = ("/external-api",)  # spare the token endpoint: auth is not under test here


def debts_for(client: Any, prefix: str) -> list[Debt]:
    sample = sample_debts(DEBTS + 100, seed=23, broken=0.0, prefix=prefix)
    return list(itertools.islice((d for d in sample if client.check(d).ok), DEBTS))


async def import_until_settled(
    client: Any, debts: list[Debt], ledger: Path, held: Any, **options: Any
) -> tuple[list[list[BulkResult]], list[collections.Counter[str]], dict[LedgerState, int]]:
    """Run, then rerun with one ledger until it holds every debt as created: each run's
    results, the provider's count per reference after each, and the ledger's final counts."""
    runs: list[list[BulkResult]] = []
    counts_after: list[collections.Counter[str]] = []
    counts: dict[LedgerState, int] = {}
    for _ in range(1 + RERUNS):
        runs.append([r async for r in bulk_import(client, debts, ledger=ledger, **options)])
        counts_after.append(collections.Counter(held()))
        with Ledger(ledger) as book:
            counts = book.counts(client.provider)
        if counts == {LedgerState.CREATED: len(debts)}:
            break
    return runs, counts_after, counts


def assert_exactly_once(
    debts: list[Debt],
    runs: list[list[BulkResult]],
    counts_after: list[collections.Counter[str]],
    ledger: dict[LedgerState, int],
) -> None:
    assert ledger == {LedgerState.CREATED: len(debts)}
    assert not any(r.outcome is Outcome.INVALID for run in runs for r in run)
    assert not any(r.outcome is Outcome.REJECTED for run in runs for r in run)
    for counts in counts_after:  # after every run, not only the last: no duplicate, ever
        assert max(counts.values()) == 1
    assert sorted(counts_after[-1]) == sorted(d.creditor_reference for d in debts)


def spoiled_shapes(faults: Faults) -> set[str]:
    return {kind.split(":", 1)[1] for kind in faults.served if kind.startswith("malformed")}


@pytest.mark.parametrize(
    ("batch_size", "methods", "rate"),
    [(10, ("POST",), 0.3), (1, ("POST",), 0.3), (10, (), 0.1)],
    ids=["batches", "single-creates", "lookups-spoiled-too"],
)
async def test_getbill_import_with_unreadable_answers_creates_every_debt_once(
    getbill_simulator_factory: Any, tmp_path: Path, batch_size: int, methods: Any, rate: float
) -> None:
    faults = Faults(malformed_response=rate, seed=31, only_paths=GETBILL_API, only_methods=methods)
    simulator = await getbill_simulator_factory(
        faults=faults, write_limit=GENEROUS, read_limit=GENEROUS
    )
    budget = default_pool().for_adapter(
        load_adapter("getbill"),
        simulator.credentials,
        overrides={"write": GENEROUS, "read": GENEROUS},
    )
    async with simulator.connect(retry=RETRY, gate=budget) as client:
        debts = debts_for(client, f"MAL-GB-{batch_size}")
        runs, held, ledger = await import_until_settled(
            client, debts, tmp_path / "ledger.sqlite", simulator.state.internal_id_counts,
            batch_size=batch_size,
        )  # fmt: skip
    assert spoiled_shapes(faults) == set(MALFORMED_SHAPES)
    assert_exactly_once(debts, runs, held, ledger)


@pytest.mark.parametrize(
    ("methods", "rate"), [(("POST",), 0.3), ((), 0.1)], ids=["creates", "lookups-spoiled-too"]
)
async def test_debitura_import_with_unreadable_answers_creates_every_debt_once(
    debitura_simulator_factory: Any, tmp_path: Path, methods: Any, rate: float
) -> None:
    limits = tuple(RateLimit(name, GENEROUS, window, kind) for name, window, kind in (
        ("minute", 60.0, "sliding"), ("hour", 3600.0, "fixed"), ("day", 86400.0, "fixed"),
    ))  # fmt: skip
    faults = Faults(malformed_response=rate, seed=32)
    simulator = await debitura_simulator_factory(
        faults=faults, fault_methods=methods, limits=limits
    )
    budget = default_pool().for_adapter(
        load_adapter("debitura"),
        simulator.credentials,
        overrides={rule.name: GENEROUS for rule in limits},
    )
    async with simulator.connect(retry=RETRY, gate=budget) as client:
        debts = debts_for(client, "MAL-DB")
        runs, held, ledger = await import_until_settled(
            client, debts, tmp_path / "ledger.sqlite", simulator.state.created_references,
            concurrency=16,
        )  # fmt: skip
    assert spoiled_shapes(faults) == set(MALFORMED_SHAPES)
    assert_exactly_once(debts, runs, held, ledger)
    # Debitura refuses a second case under one reference: a resend would show as a duplicate.
    assert not any(r.error_type == "DuplicateError" for run in runs for r in run)


class _ErrorTrueServer:
    """A loopback HTTP server answering every request ``200 {"error": true}``, in a thread:
    the CLI runs its own event loop."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b'{"error": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("provider", "credential", "base_path"),
    [("getbill", "access_token=tok", "/external-api/v1"), ("debitura", "api_key=k", "")],
)
def test_export_of_an_unreadable_listing_fails_instead_of_exporting_nothing(
    provider: str, credential: str, base_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with _ErrorTrueServer() as origin:
        argv = ["export", "--provider", provider, "--credential", credential]
        code = main([*argv, "--base-url", origin + base_path])
    captured = capsys.readouterr()
    assert code != 0
    assert "unreadable answer" in captured.err
    assert "exported 0 cases" not in captured.err
    assert captured.out == ""
