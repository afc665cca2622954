"""Following what happens to handed-over debts: neutral events and payments.

- `debtkit.events.model`: the provider-neutral `CaseEvent`, `EventType` and `Payment`;
  adapters translate webhook deliveries and synced state into them;
- `debtkit.events.webhooks`: framework-free helpers for verifying deliveries;
- `debtkit.events.receiver`: an aiohttp receiver that verifies, deduplicates and hands on;
- `debtkit.events.seen`: the seen-stores the receiver deduplicates with (`.seen_postgres` and
  `.seen_redis`: stores shared by the replicas of a receiver);
- `debtkit.events.sync` and `.snapshots`: events from comparing a provider's cases with a
  local snapshot, where webhooks are not set up.
"""

from debtkit.events.model import CaseEvent, EventType, Payment, delivery_digest
from debtkit.events.receiver import webhook_app, webhook_handler
from debtkit.events.seen import (
    Claim,
    ClaimingSeenStore,
    ClaimOutcome,
    MemorySeenStore,
    SeenStore,
    SeenStoreError,
    SQLiteSeenStore,
    seen_store_for,
)
from debtkit.events.seen_postgres import PostgresSeenStore
from debtkit.events.seen_redis import RedisSeenStore
from debtkit.events.snapshots import SnapshotStore, SnapshotStoreError
from debtkit.events.sync import ChangeFeed

__all__ = [
    "CaseEvent",
    "ChangeFeed",
    "Claim",
    "ClaimOutcome",
    "ClaimingSeenStore",
    "EventType",
    "MemorySeenStore",
    "Payment",
    "PostgresSeenStore",
    "RedisSeenStore",
    "SQLiteSeenStore",
    "SeenStore",
    "SeenStoreError",
    "SnapshotStore",
    "SnapshotStoreError",
    "delivery_digest",
    "seen_store_for",
    "webhook_app",
    "webhook_handler",
]
