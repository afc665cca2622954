"""Bulk import with a ledger: a file of debts into a provider, resumable after any crash.

Run as it is, it writes 200 sample debts to a CSV in a temporary folder and imports them into
Debitura's simulator (started in-process on loopback), twice: the second run finds every debt
in the ledger and sends nothing. Any adapter works the same way: only neutral calls are used.
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from debtkit import load_adapter
from debtkit.bulk import bulk_import
from debtkit.files import read_debts
from debtkit.sample import sample_debts
from debtkit.simulator import CREDENTIALS, SimulatorServer

COLUMNS = ["creditor_reference", "amount", "currency", "invoice_date", "due_date",
           "debtor.kind", "debtor.first_name", "debtor.last_name", "debtor.company_name",
           "debtor.email", "debtor.phone", "debtor.address.street", "debtor.address.city",
           "debtor.address.postal_code", "debtor.address.state", "debtor.address.country",
           "debtor.contact_person.first_name", "debtor.contact_person.last_name"]  # fmt: skip


def write_sample_csv(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for debt in sample_debts(count, broken=0.0):
            debtor, address = debt.debtor, debt.debtor.address
            contact = debtor.contact_person
            row: list[object] = [
                debt.creditor_reference, debt.amount, debt.currency, debt.invoice_date,
                debt.due_date, debtor.kind.value, debtor.first_name, debtor.last_name,
                debtor.company_name, debtor.email, debtor.phone,
                address.street if address else None, address.city if address else None,
                address.postal_code if address else None, address.state if address else None,
                address.country if address else None,
                contact.first_name if contact else None, contact.last_name if contact else None,
            ]  # fmt: skip
            writer.writerow(row)


# --8<-- [start:import]
async def import_file(
    provider: str, credentials: Mapping[str, str], base_url: str, path: Path, ledger: Path
) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    adapter = load_adapter(provider)
    async with adapter.connect(credentials, base_url=base_url) as client:
        async for result in bulk_import(client, read_debts(path), ledger=ledger):
            outcomes[result.outcome.value] += 1
    return outcomes


# --8<-- [end:import]


async def main() -> None:
    adapter = load_adapter("debitura")
    app = adapter.simulator()
    with tempfile.TemporaryDirectory() as folder:
        path, ledger = Path(folder) / "debts.csv", Path(folder) / "debts.ledger.sqlite"
        write_sample_csv(path, 200)
        async with SimulatorServer(app) as server:
            credentials = app[CREDENTIALS]
            first = await import_file("debitura", credentials, server.base_url, path, ledger)
            again = await import_file("debitura", credentials, server.base_url, path, ledger)
    print("first run:", dict(first))
    print("second run:", dict(again))
    if first != Counter(created=200) or again != Counter(already_created=200):
        raise SystemExit("unexpected outcomes")


if __name__ == "__main__":
    asyncio.run(main())
