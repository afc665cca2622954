"""`debtkit import` stops at once, exit 2 and one clear line, on what no retry can fix; and
its exit codes tell "the provider did not create some" from "some rows were invalid"."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from debtkit import Registry
from debtkit.cli import main
from debtkit.errors import APIStatusError, AuthenticationError, NotFoundError, PermissionDeniedError
from debtkit.model import Case, Debt
from debtkit.testing.fake import refuse
from tests.core.fake_cli import FakeAdapter, debts_file, registry_of


@pytest.fixture
def adapter() -> FakeAdapter:
    return FakeAdapter()


@pytest.fixture
def registry(adapter: FakeAdapter) -> Registry:
    return registry_of(adapter)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return debts_file(tmp_path, 40, seed=5)


def run(source: Path, registry: Registry, *extra: str) -> int:
    flags = ["--credential", "api_key=k", "--concurrency", "1", *extra]
    return main(["import", str(source), "--provider", "fake", *flags], registry)


def verdict(kind: type[APIStatusError], status: int) -> APIStatusError:
    return kind("no", provider="fake", method="POST", path="/debts", status=status)


@pytest.mark.parametrize(
    ("kind", "status", "says"),
    [
        (AuthenticationError, 401, "credentials were refused"),
        (PermissionDeniedError, 403, "not allowed"),
        (NotFoundError, 404, "check --base-url"),
    ],
)
def test_a_verdict_on_the_account_during_the_import_stops_it_with_exit_2(
    kind: type[APIStatusError],
    status: int,
    says: str,
    source: Path,
    registry: Registry,
    adapter: FakeAdapter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sent: list[str] = []

    def fail_from_the_third(debt: Debt) -> APIStatusError | None:
        sent.append(debt.creditor_reference)
        return verdict(kind, status) if len(sent) >= 3 else None

    adapter.provider.fail_before = fail_from_the_third
    code = run(source, registry)
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert len(sent) < 10  # stopped at once, not after 40 refusals
    assert [line for line in err if line.startswith("debtkit:")] == [
        line for line in err if says in line
    ]
    assert any("rerun with the same ledger" in line for line in err)


def test_a_rerun_after_the_stop_resumes(
    source: Path, registry: Registry, adapter: FakeAdapter
) -> None:
    calls = 0

    def refuse_the_second(debt: Debt) -> APIStatusError | None:
        nonlocal calls
        calls += 1
        return verdict(AuthenticationError, 401) if calls == 2 else None

    adapter.provider.fail_before = refuse_the_second
    assert run(source, registry) == 2
    assert run(source, registry) == 0
    assert len(adapter.provider.create_calls) == len(set(adapter.provider.create_calls)) + 1


def test_a_404_of_a_lookup_does_not_stop_the_import(
    source: Path, registry: Registry, adapter: FakeAdapter
) -> None:
    lookup = NotFoundError("no", provider="fake", method="GET", path="/debts/x", status=404)
    adapter.provider.fail_before = lambda debt: lookup if debt.amount.amount > 0 else None
    assert run(source, registry) == 1


def test_a_provider_refusal_exits_1_and_shows_examples(
    source: Path, registry: Registry, adapter: FakeAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter.provider.fail_before = lambda debt: refuse(400)
    assert run(source, registry) == 1
    out = capsys.readouterr().out
    examples = [line for line in out.splitlines() if line.startswith("  e.g. rejected:")]
    assert len(examples) == 3  # a few, not 40
    assert "BadRequestError" in examples[0]
    assert examples[0].startswith("  e.g. rejected: line 1 ")  # the input line, not an index


def test_invalid_rows_and_a_provider_refusal_exit_1(
    source: Path, registry: Registry, adapter: FakeAdapter
) -> None:
    bad = json.loads(source.read_text().splitlines()[0])
    bad["creditor_reference"], bad["currency"] = "BAD-1", "EUX"
    with open(source, "a") as handle:
        handle.write(json.dumps(bad) + "\n")
    first = json.loads(source.read_text().splitlines()[1])["creditor_reference"]
    adapter.provider.fail_before = lambda debt: (
        refuse(400) if debt.creditor_reference == first else None
    )
    assert run(source, registry) == 1


def test_every_debt_created_exits_0(source: Path, registry: Registry) -> None:
    assert run(source, registry) == 0


@pytest.mark.parametrize(
    ("kind", "status", "says"),
    [(PermissionDeniedError, 403, "not allowed"), (NotFoundError, 404, "check --base-url")],
)
def test_the_probe_before_sending_stops_on_a_refused_credential_or_a_missing_api(
    kind: type[APIStatusError],
    status: int,
    says: str,
    source: Path,
    registry: Registry,
    adapter: FakeAdapter,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def refused(**filters: object) -> AsyncIterator[Case]:
        raise kind("no", provider="fake", method="GET", path="/debts", status=status)
        yield  # an async generator, like every client's cases()

    monkeypatch.setattr(adapter.provider, "cases", refused)
    code = run(source, registry)
    err = capsys.readouterr().err
    assert code == 2
    assert adapter.provider.create_calls == []
    assert err.count("debtkit:") == 1
    assert says in err
    assert "nothing was sent" in err
