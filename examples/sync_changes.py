"""Following what happens without webhooks: sync against a local snapshot.

`client.changes(path)` compares the provider's cases (and, for Debitura, its payments) with a
snapshot in an SQLite file you choose and yields what changed since the last sync, each event
once, resumably after a crash. Run as it is, it creates three test cases in Debitura's
simulator, syncs, moves one to Active and closes another as paid, and syncs again: the second
sync yields exactly what happened in between.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from debtkit_debitura import DebituraAdapter

from debtkit import Address, Debt, Debtor, DebtorKind, load_adapter
from debtkit.events import CaseEvent
from debtkit.simulator import CREDENTIALS, SimulatorServer


def debt(number: int) -> Debt:
    debtor = Debtor(
        kind=DebtorKind.COMPANY,
        company_name=f"Nordlys {number} ApS",
        email=f"billing{number}@example.com",
        address=Address(street="Vestergade 1", postal_code="8000", city="Aarhus", country="DK"),
    )
    invoiced = dt.date(2026, 9, 1)
    return Debt(
        f"SYNC-{number}", debtor, Decimal("1500.00"), "DKK",
        invoice_date=invoiced, due_date=invoiced + dt.timedelta(days=30),
    )  # fmt: skip


# --8<-- [start:sync]
async def sync_once(credentials: Mapping[str, str], base_url: str, state: Path) -> list[CaseEvent]:
    handled: list[CaseEvent] = []
    adapter = load_adapter("debitura", DebituraAdapter)
    async with (
        adapter.connect(credentials, base_url=base_url) as client,
        client.changes(state) as feed,
    ):
        async for event in feed:  # an event counts as handled when the next one is asked for
            handled.append(event)
            print(event.event_type.value, event.case_id, event.new_status)
    return handled


# --8<-- [end:sync]


async def main() -> None:
    adapter = load_adapter("debitura", DebituraAdapter)
    app = adapter.simulator()
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "sync.sqlite"
        async with SimulatorServer(app) as server:
            credentials = app[CREDENTIALS]
            async with adapter.connect(credentials, base_url=server.base_url) as client:
                cases = [await client.create(debt(n), is_test=True) for n in range(3)]
            first = await sync_once(credentials, server.base_url, state)
            async with adapter.connect(credentials, base_url=server.base_url) as client:
                await client.test_mode.advance(cases[0].provider_id, "Active")
                paid = Decimal("1500.00")
                await client.test_mode.advance(cases[1].provider_id, "Closed:Paid", amount=paid)
            second = await sync_once(credentials, server.base_url, state)
            third = await sync_once(credentials, server.base_url, state)
    print(f"syncs: {len(first)}, then {len(second)}, then {len(third)} events")
    if len(first) != 3 or not second or third:
        raise SystemExit("each change should come once, and only once")


if __name__ == "__main__":
    asyncio.run(main())
