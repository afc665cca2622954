"""How bulk import classifies what a client's create ended with, and what it asks of clients
that look references up before creating."""

from __future__ import annotations

from pathlib import Path

from debtkit import Case, Debt
from debtkit.bulk import BulkResult, Outcome, ReferenceCheckingCreator, bulk_import
from debtkit.errors import DuplicateError, MalformedResponseError
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeProvider


def debts(count: int) -> list[Debt]:
    return list(sample_debts(count, seed=5, broken=0.0, prefix="OUT"))


async def run(provider: FakeProvider, items: list[Debt], **options: object) -> list[BulkResult]:
    return [r async for r in bulk_import(provider, items, **options)]  # type: ignore[arg-type]


def unreadable(debt: Debt) -> MalformedResponseError:
    return MalformedResponseError("fake", "POST", "/debts", 201, "body is not JSON")


class CheckingProvider(FakeProvider):
    """A provider client that looks each reference up before creating, as GetBill's does."""

    checks_existing = True

    def __init__(self) -> None:
        super().__init__()
        self.check_flags: list[bool] = []

    async def create(self, debt: Debt, *, check_existing: bool = True) -> Case:
        self.check_flags.append(check_existing)
        if check_existing and await self.find(debt.creditor_reference) is not None:
            raise DuplicateError(
                "taken", reference=debt.creditor_reference, provider="fake", method="POST",
                path="/debts", status=409,
            )  # fmt: skip
        return await super().create(debt)


async def test_unreadable_answer_to_a_create_is_ambiguous_not_invalid(tmp_path: Path) -> None:
    (debt,) = debts(1)
    provider = FakeProvider(fail_after=unreadable)
    (result,) = await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    assert result.outcome is Outcome.AMBIGUOUS
    assert result.error_type == "MalformedResponseError"


async def test_unreadable_answer_is_looked_up_on_rerun_not_sent_again(tmp_path: Path) -> None:
    (debt,) = debts(1)
    provider = FakeProvider(fail_after=unreadable)
    await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    provider.fail_after = None
    (second,) = await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    assert second.outcome is Outcome.ALREADY_CREATED
    assert provider.create_calls == [debt.creditor_reference]


async def test_getbill_like_client_is_told_to_skip_its_lookup(tmp_path: Path) -> None:
    provider = CheckingProvider()
    assert isinstance(provider, ReferenceCheckingCreator)
    results = await run(provider, debts(3), ledger=tmp_path / "l.sqlite")
    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert provider.check_flags == [False, False, False]
    assert provider.find_calls == []  # no debt paid a read


async def test_duplicate_refusal_carrying_the_case_is_adopted_without_a_lookup(
    tmp_path: Path,
) -> None:
    (debt,) = debts(1)
    provider = FakeProvider()
    existing = await provider.create(debt)  # created elsewhere, without this ledger

    def refused(_: Debt) -> DuplicateError:
        return DuplicateError(
            "taken", reference=debt.creditor_reference, existing=existing, provider="fake",
            method="POST", path="/debts", status=400,
        )  # fmt: skip

    provider.fail_before = refused
    (result,) = await run(provider, [debt], ledger=tmp_path / "l.sqlite")
    assert result.outcome is Outcome.ALREADY_CREATED
    assert result.provider_id == existing.provider_id
    assert provider.find_calls == []
