"""`GetBillClient.changes()`: debt events by sync, for accounts without webhooks.

GetBill's ``GET /debts`` has creation-date filters but none on updates, so a sync reads the
whole listing and compares it with the local snapshot (`debtkit.events.sync.ChangeFeed`):
``CREATED``, ``STATUS_CHANGED`` and ``CLOSED`` (a debt reaching a paid or closed status).
GetBill exposes no payment listing; payments arrive through its webhooks only.

**What a sync costs**, for N debts at 100 per page (the documented maximum):
``ceil(N / 100)`` reads of ``GET /debts`` (at least 1), counted against the read allowance
of 1,000 requests per hour: a 10,000-debt account costs 100 reads, a tenth of an hour's
budget, so hourly syncs of up to ~90,000 debts fit beside other traffic only if nothing else
reads. Every read passes the client's budget like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from debtkit.events.snapshots import SnapshotStore
from debtkit.events.sync import ChangeFeed
from debtkit_getbill.options import PROVIDER

if TYPE_CHECKING:
    from debtkit_getbill.client import GetBillClient

__all__ = ["changes"]


def changes(
    client: GetBillClient,
    store: SnapshotStore | str | Path,
    *,
    announce_existing: bool = True,
) -> ChangeFeed:
    """A `ChangeFeed` over every debt, since the last acknowledged sync into `store`. With
    ``announce_existing=False`` a first sync records the current debts silently."""
    return ChangeFeed(PROVIDER, client.cases(), store, announce_existing=announce_existing)
