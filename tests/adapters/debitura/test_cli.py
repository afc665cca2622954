"""``debtkit attach`` and ``debtkit import --preflight`` against a Debitura simulator running
in a thread of its own (the CLI runs its own event loop)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from debtkit_debitura.simulator import RECORDS, STATE, create_app, payloads

from debtkit import Address, Registry, to_json
from debtkit.cli import main
from debtkit.simulator import SimulatorServer
from tests.conftest import make_full_debt


@attrs.define
class Served:
    base_url: str
    app: Any

    def flags(self) -> list[str]:
        return ["--base-url", self.base_url, "--credential", "api_key=sim-debitura-key"]


def _serve(**options: Any) -> Iterator[Served]:
    loop = asyncio.new_event_loop()
    server = SimulatorServer(create_app(**options))
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(30)
    try:
        yield Served(server.base_url, server.app)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


@pytest.fixture
def served() -> Iterator[Served]:
    yield from _serve()


@pytest.fixture
def served_without_germany() -> Iterator[Served]:
    yield from _serve(uncovered_countries=("DE",))


def _case(served: Served) -> str:
    """A case put straight into the simulator's memory (the CLI creates none)."""
    debtor = {"type": "Company", "name": "X", "countryAlpha2": "DK"}
    record = payloads.invoice(
        {"amountToRecover": 10, "currencyCode": "EUR", "debtor": debtor},
        now=0.0,
        lifecycle="Active",
        pending_signing=False,
        division=None,
    )
    state = served.app[STATE]
    state.add_case(record, state.debtor_id(record["debtor"]))
    return str(record["id"])


def test_attach_uploads_the_file_to_the_case(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = _case(served)
    document = tmp_path / "invoice.pdf"
    document.write_bytes(b"%PDF-1.4")
    code = main(["attach", case_id, str(document), "--description", "Q1", *served.flags()])
    assert code == 0
    stored = served.app[RECORDS].files[case_id]
    assert [f.record["description"] for f in stored] == ["Q1"]
    assert f"attached invoice.pdf to case {case_id}" in capsys.readouterr().out


def test_attach_to_an_unknown_case_exits_2(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "invoice.pdf"
    document.write_bytes(b"%PDF-1.4")
    code = main(["attach", "3fa85f64-5717-4562-b3fc-2c963f66afa6", str(document), *served.flags()])
    assert code == 2
    assert "404" in capsys.readouterr().err


def test_attach_refuses_an_extension_before_sending(served: Served, tmp_path: Path) -> None:
    document = tmp_path / "notes.docx"
    document.write_bytes(b"x")
    assert main(["attach", _case(served), str(document), *served.flags()]) == 2
    assert all(r.path == "/cases" or r.method == "GET" for r in served.app[STATE].requests)


def _debts_file(tmp_path: Path) -> Path:
    debts = []
    for n, country in enumerate(["FR", "FR", "DE", "DE", "DE"]):
        base = make_full_debt(creditor_reference=f"R-{n}", overdue=None, amount=Decimal("100"))
        address = Address(street="Rue", number="1", postal_code="75001", city="X", country=country)
        debts.append(attrs.evolve(base, debtor=attrs.evolve(base.debtor, address=address)))
    path = tmp_path / "debts.jsonl"
    path.write_text("".join(to_json(d) + "\n" for d in debts))
    return path


def test_import_preflight_refuse_sends_nothing_when_debtors_are_uncovered(
    served_without_germany: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = served_without_germany
    path = _debts_file(tmp_path)
    args = ["import", str(path), "--provider", "debitura", "--preflight", "refuse"]
    code = main([*args, *served.flags()], Registry())
    out = capsys.readouterr()
    assert code == 2
    assert "no partner covers 3 debtor(s) in DE" in out.out
    assert served.app[STATE].cases == {}


def test_import_preflight_warn_imports_anyway(
    served_without_germany: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = served_without_germany
    path = _debts_file(tmp_path)
    args = ["import", str(path), "--provider", "debitura", "--preflight", "warn"]
    main([*args, *served.flags(), "--ledger", str(tmp_path / "l.sqlite")], Registry())
    assert "no partner covers 3 debtor(s) in DE" in capsys.readouterr().out
    assert len(served.app[STATE].cases) == 2  # the French ones; Germany is refused by Debitura
