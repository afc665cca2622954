"""The rest of each provider's API, typed, on the same client: nobody needs a second one.

Run as it is, it starts both simulators: on Debitura it checks coverage before handing a debt
over, attaches the invoice PDF to the case and sends the collection partner a message; on
GetBill it schedules a followup call for a debt and reads the credit balance.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from debtkit_debitura import DebituraAdapter
from debtkit_getbill import GetBillAdapter
from debtkit_getbill.simulator import RunningSimulator

from debtkit import Address, Case, Debt, Debtor, DebtorKind, load_adapter
from debtkit.simulator import CREDENTIALS, SimulatorServer

INVOICE_PDF = b"%PDF-1.4 an invoice"


def company_debt(reference: str) -> Debt:
    debtor = Debtor(
        kind=DebtorKind.COMPANY,
        company_name="Nordlys ApS",
        email="billing@nordlys.example",
        address=Address(street="Vestergade 1", postal_code="8000", city="Aarhus", country="DK"),
    )
    invoiced = dt.date(2026, 9, 1)
    return Debt(
        reference, debtor, Decimal("1500.00"), "DKK",
        invoice_date=invoiced, due_date=invoiced + dt.timedelta(days=30),
    )  # fmt: skip


# --8<-- [start:debitura]
async def hand_over_with_documents(credentials: Mapping[str, str], base_url: str) -> Case | None:
    debts = [company_debt("INV-DK-1")]
    adapter = load_adapter("debitura", DebituraAdapter)
    async with adapter.connect(credentials, base_url=base_url) as client:
        findings = await client.preflight(debts)  # e.g. "no partner covers 12 debtor(s) in DE"
        for finding in findings:
            print(finding)
        if findings:
            return None
        case = await client.create(debts[0])
        await client.files.upload(
            case.provider_id, INVOICE_PDF, file_name="invoice.pdf", document_type="OriginalInvoice"
        )
        await client.messages.send(
            case.provider_id, "The invoice is attached.", sender_email="creditor@example.com"
        )
        async for chat in client.messages.list(case.provider_id):
            print(chat.role_label, chat.date_created)
        return case


# --8<-- [end:debitura]


# --8<-- [start:getbill]
async def follow_up(credentials: Mapping[str, str], base_url: str, debt: Debt) -> Decimal:
    adapter = load_adapter("getbill", GetBillAdapter)
    async with adapter.connect(credentials, base_url=base_url) as client:
        case = await client.create(debt)
        await client.followups.create(case.provider_id, type="call")
        async for followup in client.followups.by_debt(case.provider_id):
            print(followup.type, followup.status)  # values GetBill adds later: UNKNOWN, kept raw
        return (await client.company.credits()).current_credits


# --8<-- [end:getbill]


async def main() -> None:
    debitura = load_adapter("debitura", DebituraAdapter).simulator()
    credentials = debitura[CREDENTIALS]
    async with SimulatorServer(debitura) as server:
        case = await hand_over_with_documents(credentials, server.base_url)
    if case is None:
        raise SystemExit("the simulator covers Denmark: the debt should have been handed over")
    person = Debtor(first_name="Ana", last_name="Lopez", email="ana.lopez@example.com")
    async with RunningSimulator() as getbill:
        balance = await follow_up(
            getbill.credentials, getbill.base_url, Debt("INV-FR-1", person, Decimal("90"), "EUR")
        )
    print(f"Debitura case {case.provider_id}; GetBill credit balance {balance}")


if __name__ == "__main__":
    asyncio.run(main())
