"""An in-memory provider client for tests: no HTTP, scriptable failures, full call record."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from typing import Any

from debtkit.errors import (
    AmbiguousWriteError,
    APIStatusError,
    BadRequestError,
    DebtkitError,
    DuplicateError,
)
from debtkit.model import Case, CaseStatus, Debt
from debtkit.plugin import ItemResult
from debtkit.validation import CheckedDebt, PolicyRule, Validator

__all__ = ["FakeBatchProvider", "FakeProvider"]

Fault = Callable[[Debt], "DebtkitError | None"]


class FakeProvider:
    """Stores created debts by reference and refuses duplicates like a careful provider.

    `fail_before(debt)` may return an error raised before anything is stored (a refusal or a
    connection failure); `fail_after(debt)` one raised after storing (a lost response).
    """

    provider = "fake"

    def __init__(
        self,
        rules: Sequence[PolicyRule] = (),
        *,
        fail_before: Fault | None = None,
        fail_after: Fault | None = None,
    ) -> None:
        self.validator = Validator(rules)
        self.cases_by_ref: dict[str, Case] = {}
        self.create_calls: list[str] = []
        self.find_calls: list[str] = []
        self.fail_before = fail_before
        self.fail_after = fail_after
        self._ids = itertools.count(1)

    async def __aenter__(self) -> FakeProvider:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def check(self, debt: Debt) -> CheckedDebt:
        return self.validator.check(debt)

    def _store(self, debt: Debt) -> Case:
        existing = self.cases_by_ref.get(debt.creditor_reference)
        if existing is not None:  # refused the way both adapters refuse: naming what exists
            raise DuplicateError(
                "duplicate reference", reference=debt.creditor_reference, existing=existing,
                provider=self.provider, method="POST", path="/debts", status=409,
            )  # fmt: skip
        case = Case(
            self.provider, f"fake-{next(self._ids)}", CaseStatus.PENDING, provider_status="new",
            creditor_reference=debt.creditor_reference, amount=debt.amount,
            currency=debt.currency, created_at=dt.datetime.now(dt.timezone.utc),
        )  # fmt: skip
        self.cases_by_ref[debt.creditor_reference] = case
        return case

    async def create(self, debt: Debt) -> Case:
        self.create_calls.append(debt.creditor_reference)
        if self.fail_before and (error := self.fail_before(debt)):
            raise error
        case = self._store(debt)
        if self.fail_after and (error := self.fail_after(debt)):
            raise error
        return case

    async def get(self, provider_id: str) -> Case:
        for case in self.cases_by_ref.values():
            if case.provider_id == provider_id:
                return case
        raise BadRequestError(
            "unknown id", provider=self.provider, method="GET", path="/debts", status=404
        )

    async def find(self, creditor_reference: str) -> Case | None:
        self.find_calls.append(creditor_reference)
        return self.cases_by_ref.get(creditor_reference)

    async def cases(self, **filters: Any) -> AsyncIterator[Case]:
        for case in list(self.cases_by_ref.values()):
            yield case


class FakeBatchProvider(FakeProvider):
    """A `FakeProvider` that also accepts many debts per request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_sizes: list[int] = []
        self.find_many_calls: list[list[str]] = []

    async def find_many(
        self, creditor_references: Collection[str], *, since: dt.datetime
    ) -> dict[str, Case]:
        self.find_many_calls.append(sorted(creditor_references))
        return {
            ref: case
            for ref in creditor_references
            if (case := self.cases_by_ref.get(ref)) is not None
            and (case.created_at is None or case.created_at >= since)
        }

    async def create_batch(self, debts: Sequence[Debt]) -> list[ItemResult]:
        self.batch_sizes.append(len(debts))
        results = []
        for index, debt in enumerate(debts):
            try:
                results.append(ItemResult(index, debt.creditor_reference, await self.create(debt)))
            except (APIStatusError, AmbiguousWriteError) as error:
                results.append(ItemResult(index, debt.creditor_reference, error=error))
        return results


def refuse(status: int = 400) -> APIStatusError:
    """A provider refusal to return from a fault function."""
    return BadRequestError("refused", provider="fake", method="POST", path="/debts", status=status)


def lost(debt: Debt) -> AmbiguousWriteError:
    return AmbiguousWriteError("fake", [debt.creditor_reference], "response lost")


__all__ += ["lost", "refuse"]
