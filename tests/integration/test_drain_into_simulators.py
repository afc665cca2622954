"""Shared imports in PostgreSQL drained into the GetBill simulator, end to end on loopback."""

from __future__ import annotations

import itertools
from typing import Any

from debtkit import Validator, load_adapter
from debtkit.bulk import (
    Account,
    Outcome,
    account_key,
    drain,
    open_ledger,
    start_import,
)
from debtkit.model import Debt
from debtkit.sample import sample_debts


def valid_debts(count: int, prefix: str, seed: int = 3) -> list[Debt]:
    validator = Validator(load_adapter("getbill").policy_rules())
    sample = sample_debts(count + count // 5 + 20, seed=seed, broken=0.0, prefix=prefix)
    return list(itertools.islice((d for d in sample if validator.check(d).ok), count))


def account_of(simulator: Any) -> Account:
    return Account("getbill", account_key("getbill", simulator.base_url, simulator.credentials))


def held_references(simulator: Any) -> list[str]:
    return [d["internal_id"] for d in simulator.state.debts.values()]


async def test_a_started_import_drains_into_getbill_creating_each_debt_once(
    getbill_simulator_factory: Any, postgres_database: str
) -> None:
    simulator = await getbill_simulator_factory(time_scale=3600)
    debts = valid_debts(50, "DRAIN")
    async with simulator.connect() as client, open_ledger(postgres_database) as ledger:
        info = await start_import(client, ledger, debts, account=account_of(simulator))
        results = [r async for r in drain(client, ledger, info.import_id, batch_size=20)]
        counts = await ledger.counts(info.import_id)
    assert sorted(r.index for r in results) == list(range(50))
    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert sorted(held_references(simulator)) == sorted(d.creditor_reference for d in debts)
    assert counts == {"created": 50}
