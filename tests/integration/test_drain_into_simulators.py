"""Shared imports (PostgreSQL, SQLite) drained into the GetBill simulator, on loopback."""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
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
from debtkit.simulator import Faults


def valid_debts(count: int, prefix: str, seed: int = 3) -> list[Debt]:
    validator = Validator(load_adapter("getbill").policy_rules())
    sample = sample_debts(count + count // 5 + 20, seed=seed, broken=0.0, prefix=prefix)
    return list(itertools.islice((d for d in sample if validator.check(d).ok), count))


def account_of(simulator: Any) -> Account:
    return Account("getbill", account_key("getbill", simulator.base_url, simulator.credentials))


def held_references(simulator: Any) -> list[str]:
    return [d["internal_id"] for d in simulator.state.debts.values()]


async def test_a_started_import_drains_into_getbill_creating_each_debt_once(
    getbill_simulator_factory: Any, shared_ledger_url: str
) -> None:
    simulator = await getbill_simulator_factory(time_scale=3600)
    debts = valid_debts(50, "DRAIN")
    async with simulator.connect() as client, open_ledger(shared_ledger_url) as ledger:
        info = await start_import(client, ledger, debts, account=account_of(simulator))
        results = [r async for r in drain(client, ledger, info.import_id, batch_size=20)]
        counts = await ledger.counts(info.import_id)
    assert sorted(r.index for r in results) == list(range(50))
    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert sorted(held_references(simulator)) == sorted(d.creditor_reference for d in debts)
    assert counts == {"created": 50}


async def test_two_workers_draining_one_import_settle_disjoint_debts(
    getbill_simulator_factory: Any, shared_ledger_url: str
) -> None:
    simulator = await getbill_simulator_factory(time_scale=3600)
    debts = valid_debts(200, "TWO")

    async def worker(name: str) -> list[int]:
        async with simulator.connect() as client, open_ledger(shared_ledger_url) as ledger:
            stream = drain(client, ledger, "two", batch_size=20, concurrency=2, worker=name)
            return [r.index async for r in stream if r.outcome is Outcome.CREATED]

    async with simulator.connect() as client, open_ledger(shared_ledger_url) as ledger:
        await start_import(client, ledger, debts, account=account_of(simulator), import_id="two")
    first, second = await asyncio.gather(worker("a"), worker("b"))
    assert not set(first) & set(second)
    assert sorted(first + second) == list(range(200))
    assert sorted(held_references(simulator)) == sorted(d.creditor_reference for d in debts)


async def test_debts_a_dead_worker_sent_are_looked_up_by_the_next_and_not_sent_again(
    getbill_simulator_factory: Any, shared_ledger_url: str
) -> None:
    simulator = await getbill_simulator_factory(time_scale=3600)
    debts = valid_debts(30, "TAKEOVER")
    async with simulator.connect() as client, open_ledger(shared_ledger_url) as ledger:
        info = await start_import(client, ledger, debts, account=account_of(simulator))
        # A worker claims ten debts, marks them sending, sends them, and dies before it
        # records anything: its lease runs out.
        token, claims = await ledger.claim(info.import_id, "dead", 10, 0.5)
        assert len(await ledger.mark_sending(info.import_id, token, claims)) == 10
        await client.create_batch([debts[claim.position] for claim in claims])
        await asyncio.sleep(0.8)
        results = [r async for r in drain(client, ledger, info.import_id, batch_size=10)]
    outcomes = {r.index: r.outcome for r in results}
    assert {outcomes[claim.position] for claim in claims} == {Outcome.ALREADY_CREATED}
    assert sorted(outcomes) == list(range(30))
    assert sorted(held_references(simulator)) == sorted(d.creditor_reference for d in debts)


async def test_a_worker_waits_for_a_live_claim_and_finishes_it_once_its_lease_expires(
    getbill_simulator_factory: Any, shared_ledger_url: str
) -> None:
    simulator = await getbill_simulator_factory(time_scale=3600)
    debts = valid_debts(20, "SURVIVOR")
    async with simulator.connect() as client, open_ledger(shared_ledger_url) as ledger:
        info = await start_import(client, ledger, debts, account=account_of(simulator))
        _, held = await ledger.claim(info.import_id, "dying", 5, 1.5)  # never renewed
        results = [r async for r in drain(client, ledger, info.import_id, batch_size=5, poll=0.2)]
        counts = await ledger.counts(info.import_id)
    assert sorted(r.index for r in results) == list(range(20))
    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert counts == {"created": 20}
    assert len(held) == 5


async def test_a_reference_created_by_an_earlier_import_of_the_account_is_already_created(
    getbill_simulator_factory: Any, shared_ledger_url: str
) -> None:
    simulator = await getbill_simulator_factory(time_scale=3600)
    debts = valid_debts(15, "AGAIN")
    async with simulator.connect() as client, open_ledger(shared_ledger_url) as ledger:
        account = account_of(simulator)
        first = await start_import(client, ledger, debts, account=account, import_id="first")
        [r async for r in drain(client, ledger, first.import_id)]
        second = await start_import(client, ledger, debts, account=account, import_id="second")
        again = [r async for r in drain(client, ledger, second.import_id)]
    assert {r.outcome for r in again} == {Outcome.ALREADY_CREATED}
    assert len(simulator.state.requests(method="POST", path="/debts/batch")) == 1
    assert sorted(held_references(simulator)) == sorted(d.creditor_reference for d in debts)


async def test_the_same_references_on_two_accounts_are_created_on_each(
    getbill_simulator_factory: Any, shared_ledger_url: str
) -> None:
    one = await getbill_simulator_factory(time_scale=3600)
    two = await getbill_simulator_factory(time_scale=3600)
    debts = valid_debts(10, "SHARED")
    async with open_ledger(shared_ledger_url) as ledger:
        for simulator, import_id in ((one, "one"), (two, "two")):
            async with simulator.connect() as client:
                await start_import(
                    client, ledger, debts, account=account_of(simulator), import_id=import_id
                )
                results = [r async for r in drain(client, ledger, import_id)]
            assert {r.outcome for r in results} == {Outcome.CREATED}
    assert sorted(held_references(one)) == sorted(held_references(two))
    assert len(held_references(two)) == 10


async def _worker(simulator: Any, ledger_url: str, import_id: str) -> asyncio.subprocess.Process:
    credentials = [f"--credential={k}={v}" for k, v in simulator.credentials.items()]
    command = [
        "-m", "debtkit", "worker", "--provider", "getbill", "--base-url", simulator.base_url,
        "--ledger", ledger_url, "--import", import_id, "--lease", "2", "--batch-size", "20",
        "--concurrency", "2", *credentials,
    ]  # fmt: skip
    quiet = asyncio.subprocess.DEVNULL
    return await asyncio.create_subprocess_exec(
        sys.executable, *command, stdout=quiet, stderr=quiet
    )


async def test_a_worker_killed_mid_import_leaves_the_rest_to_another_with_no_duplicate(
    getbill_simulator_factory: Any, shared_ledger_url: str
) -> None:
    simulator = await getbill_simulator_factory(faults=Faults(latency=0.1, seed=4))
    debts = valid_debts(300, "SIGKILL")
    async with simulator.connect() as client, open_ledger(shared_ledger_url) as ledger:
        await start_import(client, ledger, debts, account=account_of(simulator), import_id="k")
    first = await _worker(simulator, shared_ledger_url, "k")
    for _ in range(2400):  # until it is well under way: at most 2 min on a loaded machine
        if len(simulator.state.debts) >= 60:
            break
        await asyncio.sleep(0.05)
    assert first.returncode is None, "the worker finished before it could be killed"
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert 0 < len(simulator.state.debts) < 300

    second = await _worker(simulator, shared_ledger_url, "k")
    assert await asyncio.wait_for(second.wait(), timeout=300) == 0
    async with open_ledger(shared_ledger_url) as ledger:
        counts = await ledger.counts("k")
    assert sorted(held_references(simulator)) == sorted(d.creditor_reference for d in debts)
    assert set(counts) <= {"created", "already_created"}
    assert sum(counts.values()) == 300
