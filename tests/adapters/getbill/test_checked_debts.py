"""GetBill's `create_batch` and `create` take what the client's own `check` returned without
checking it again, and check everything else: a plain debt, a `CheckedDebt` built by hand."""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from debtkit_getbill import GetBillAdapter
from debtkit_getbill.simulator import RunningSimulator

from debtkit import Debt, Problem, ValidationError, Validator
from debtkit.bulk import Outcome, bulk_import
from debtkit.testing.http_mock import MockHttp
from debtkit.validation import CheckedDebt
from tests.adapters.getbill.helpers import person_debt, with_debtor
from tests.adapters.getbill.test_client import BATCH_URL, connect, echo_batch


@attrs.define
class CountingRule:
    name: str = "test.counting"
    seen: int = 0

    def check(self, debt: Debt) -> Iterable[Problem]:
        self.seen += 1
        return ()


async def test_an_unchecked_debt_handed_as_checked_to_create_batch_is_still_validated(
    mock_http: MockHttp,
) -> None:
    sizes: list[int] = []
    mock_http.post(BATCH_URL, callback=echo_batch(sizes), repeat=True)
    bad = with_debtor(person_debt("BAD"), civility="Dr")
    async with connect() as client:
        results = await client.create_batch([person_debt("A"), CheckedDebt(bad, ())])
    assert sizes == [1]
    assert isinstance(results[1].error, ValidationError)
    assert results[1].creditor_reference == "BAD"


async def test_an_unchecked_debt_handed_as_checked_to_create_is_refused_unsent(
    mock_http: MockHttp,
) -> None:
    bad = with_debtor(person_debt("BAD"), civility="Dr")
    async with connect() as client:
        try:
            await client.create(CheckedDebt(bad, ()), check_existing=False)
        except ValidationError:
            pass
        else:
            raise AssertionError("an invalid debt was accepted")
    assert mock_http.requests == {}


async def test_create_batch_does_not_check_again_what_its_client_checked(
    mock_http: MockHttp,
) -> None:
    mock_http.post(BATCH_URL, callback=echo_batch([]), repeat=True)
    rule = CountingRule()
    async with connect() as client:
        client.validator = Validator([*GetBillAdapter().policy_rules(), rule])
        checked = [client.check(person_debt(f"R{i}")) for i in range(3)]
        results = await client.create_batch(checked)
    assert all(r.ok for r in results)
    assert rule.seen == 3


async def test_a_bulk_import_validates_each_debt_once(
    getbill_simulator: RunningSimulator,
) -> None:
    rule = CountingRule()
    debts = [person_debt(f"ONCE-{i}") for i in range(20)]
    async with getbill_simulator.connect() as client:
        client.validator = Validator([*GetBillAdapter().policy_rules(), rule])
        outcomes = [r.outcome async for r in bulk_import(client, debts, batch_size=8)]
    assert outcomes == [Outcome.CREATED] * 20
    assert rule.seen == 20
