"""Following what happens to handed-over debts: neutral events and payments.

- `debtkit.events.model`: the provider-neutral `CaseEvent`, `EventType` and `Payment`;
  adapters translate webhook deliveries and synced state into them;
- `debtkit.events.webhooks`: framework-free helpers for verifying deliveries;
- `debtkit.events.receiver`: an aiohttp receiver that verifies, deduplicates and hands on;
- `debtkit.events.seen`: the seen-stores the receiver deduplicates with.
"""

from debtkit.events.model import CaseEvent, EventType, Payment, delivery_digest
from debtkit.events.receiver import webhook_app, webhook_handler
from debtkit.events.seen import MemorySeenStore, SeenStore, SQLiteSeenStore

__all__ = [
    "CaseEvent",
    "EventType",
    "MemorySeenStore",
    "Payment",
    "SQLiteSeenStore",
    "SeenStore",
    "delivery_digest",
    "webhook_app",
    "webhook_handler",
]
