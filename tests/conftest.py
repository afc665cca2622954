"""Shared fixtures: a fully populated debt every layer can use."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

import debtkit.budget
import debtkit.budget.gate
from debtkit import Address, AgeBreakdown, ContactPerson, Debt, Debtor, DebtorKind


def make_full_debt(**changes: object) -> Debt:
    debt = Debt(
        creditor_reference="INV-2024-001",
        debtor=Debtor(
            kind=DebtorKind.COMPANY,
            first_name="John",
            last_name="Doe",
            company_name="ACME Corporation",
            civility="Mr",
            birth_date=dt.date(1985, 3, 15),
            email="john.doe@example.com",
            phone="+33612345678",
            registration_number="FR12345678901",
            contact_person=ContactPerson("John", "Doe"),
            reference="DEB-DOE-001",
            address=Address(
                street="Main Street",
                number="123",
                postal_code="75001",
                city="Paris",
                state=None,
                country="FR",
                full="123 Main Street, 75001 Paris, France",
            ),
        ),
        amount=Decimal("1250.00"),
        currency="EUR",
        invoice_date=dt.date(2023, 12, 1),
        due_date=dt.date(2023, 12, 31),
        description="Outstanding invoice #INV-2024-001",
        invoice_reference="INV-2024-001",
        iban="FR1420041010050500013M02606",
        payment_link="https://pay.example.com/debt/abc123",
        creditor_name="Acme Corp",
        notes="Called twice in December",
        overdue=AgeBreakdown(Decimal("400.00"), Decimal("100.00"), Decimal("900.00")),
        metadata={"crm_id": "crm-42", "tags": ["b2b", "priority"], "score": 0.75},
        options={"getbill": {"timeline_id": "xyz789abc123"}},
    )
    import attrs

    return attrs.evolve(debt, **changes)  # type: ignore[arg-type]


@pytest.fixture
def full_debt() -> Debt:
    return make_full_debt()


@pytest.fixture(autouse=True)
def fresh_budget_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own process-wide budget pool: a budget paused or spent by one test
    (simulators share default credentials) must not slow the next."""
    monkeypatch.setattr(debtkit.budget.gate, "_DEFAULT_POOL", debtkit.budget.BudgetPool())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not on PATH (.ci/run installs it)")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [
            executable,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60  # a bound for a hang, generous for a loaded machine
        while not _answers_ping(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on loopback for the whole session (`tests/postgres_server.py`).

    Each test that writes should use its own database or import id: see `postgres_database`.
    """
    from tests import postgres_server

    if not postgres_server.binaries_available():
        pytest.skip("PostgreSQL server binaries are not installed (.ci/run installs them)")
    with postgres_server.running_cluster() as url:
        yield url


@pytest.fixture
async def postgres_database(postgres_url: str) -> str:
    """A fresh, empty database on the session's server, for one test; its URL."""
    import uuid

    import asyncpg

    name = f"t_{uuid.uuid4().hex[:16]}"
    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return postgres_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["postgresql", "sqlite"])
def shared_ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a shared import ledger lives: a fresh PostgreSQL database, or an SQLite file."""
    if request.param == "sqlite":
        return str(tmp_path / "shared-ledger.sqlite")
    return str(request.getfixturevalue("postgres_database"))
