"""Following what happens: a webhook receiver that hands each verified event on once.

Run as it is, it starts GetBill's simulator (which signs and delivers webhooks, and sends
each one twice to show deduplication) and a debtkit receiver, both on loopback; creates a
debt, drives it through the simulator's control endpoints (a status change, then a payment
of the whole amount), and prints the neutral events the receiver handed on: each once.
"""

from __future__ import annotations

import asyncio
import tempfile
from decimal import Decimal
from pathlib import Path

import aiohttp
from debtkit_getbill import GetBillAdapter
from debtkit_getbill.simulator import RunningSimulator

from debtkit import Debt, Debtor, load_adapter
from debtkit.events import CaseEvent, SQLiteSeenStore, webhook_app
from debtkit.simulator import SimulatorServer

SECRET = "whsec-example"  # in real life: from your provider's dashboard, in an env variable
received: list[CaseEvent] = []


# --8<-- [start:receiver]
async def on_event(event: CaseEvent) -> None:  # each new, verified event once
    received.append(event)
    print(event.event_type.value, event.case_id, event.new_status)


def receiver(seen: SQLiteSeenStore) -> aiohttp.web.Application:
    adapter = load_adapter("getbill", GetBillAdapter)
    return webhook_app(adapter, SECRET, on_event, path="/hooks", seen=seen)


# --8<-- [end:receiver]


async def drive(control: aiohttp.ClientSession, path: str, body: dict[str, str]) -> None:
    async with control.post(f"/_simulator/debts/{path}", json=body) as response:
        response.raise_for_status()


async def main() -> None:
    debtor = Debtor(first_name="Ana", last_name="Lopez", email="ana.lopez@example.com")
    debt = Debt("INV-HOOK-1", debtor, Decimal("80.00"), "EUR")
    with tempfile.TemporaryDirectory() as folder:
        async with (
            SQLiteSeenStore(Path(folder) / "seen.sqlite") as seen,
            SimulatorServer(receiver(seen)) as server,
            RunningSimulator(
                webhook_url=server.origin + "/hooks", webhook_secret=SECRET, webhook_duplicates=1
            ) as simulator,
            aiohttp.ClientSession(simulator.origin) as control,
        ):
            async with simulator.connect() as client:
                case = await client.create(debt)
            await drive(
                control, f"{case.provider_id}/status", {"status": "status.default.in_progress"}
            )
            await drive(control, f"{case.provider_id}/payments", {"amount": "80.00"})
            await simulator.state.webhooks.idle()
            sent = len(simulator.state.webhooks.attempt_log)
    print(f"{sent} deliveries, {len(received)} events handed on")
    if len(received) != 4 or len({e.event_id for e in received}) != 4:
        raise SystemExit("each event should be handed on exactly once")


if __name__ == "__main__":
    asyncio.run(main())
