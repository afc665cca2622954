"""Shared by the tests of Debitura's resource families (files, messages, divisions...)."""

from __future__ import annotations

from typing import Any

from debtkit_debitura import DebituraClient
from debtkit_debitura.pytest_plugin import RunningSimulator
from debtkit_debitura.simulator import Records

from debtkit.model import Case
from debtkit.retry import RetryPolicy
from tests.adapters.debitura.conftest import TODAY
from tests.conftest import make_full_debt

FAST = RetryPolicy(attempts=4, base=0.0, cap=0.0)
MISSING_CASE = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def connect(sim: RunningSimulator, **options: Any) -> DebituraClient:
    options.setdefault("retry", FAST)
    return sim.connect(clock=lambda: TODAY, **options)


def records(sim: RunningSimulator) -> Records:
    return sim.records


async def new_case(client: DebituraClient, reference: str = "INV-2024-001") -> Case:
    return await client.create(make_full_debt(creditor_reference=reference))
