"""Following what happens to handed-over debts: neutral events and payments.

- `debtkit.events.model`: the provider-neutral `CaseEvent`, `EventType` and `Payment`;
  adapters translate webhook deliveries and synced state into them;
- `debtkit.events.webhooks`: framework-free helpers for verifying deliveries;
- `debtkit.events.receiver`: an aiohttp receiver that verifies, deduplicates and hands on;
- `debtkit.events.seen`: the seen-stores the receiver deduplicates with;
- `debtkit.events.sync` and `.snapshots`: events from comparing a provider's cases with a
  local snapshot, where webhooks are not set up.
"""

from debtkit.events.model import CaseEvent, EventType, Payment, delivery_digest
from debtkit.events.receiver import webhook_app, webhook_handler
from debtkit.events.seen import MemorySeenStore, SeenStore, SQLiteSeenStore
from debtkit.events.snapshots import SnapshotStore, SnapshotStoreError
from debtkit.events.sync import ChangeFeed

__all__ = [
    "CaseEvent",
    "ChangeFeed",
    "EventType",
    "MemorySeenStore",
    "Payment",
    "SQLiteSeenStore",
    "SeenStore",
    "SnapshotStore",
    "SnapshotStoreError",
    "delivery_digest",
    "webhook_app",
    "webhook_handler",
]
