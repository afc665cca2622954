"""`DebituraClient.changes()`: case and payment events by sync, for accounts without webhooks.

Debitura has no updated-since filter on ``GET /cases``, so a sync reads the whole listing
and compares it with the local snapshot (`debtkit.events.sync.ChangeFeed`).

**What a sync costs**, for N cases and P payments on the account, at 100 per page:
``ceil(N / 100)`` reads of ``GET /cases`` (at least 1) plus, with ``payments=True``,
``ceil(P / 100)`` reads of ``GET /Payments`` (at least 1). 10,000 cases and 2,000 payments
cost 120 reads, 6% of one minute's 2,000-request allowance; every read passes the client's
budget like any other. Writes to the snapshot file are local and only for changed cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from debtkit.events.snapshots import SnapshotStore
from debtkit.events.sync import ChangeFeed
from debtkit_debitura.mapping import PROVIDER

if TYPE_CHECKING:
    from debtkit_debitura.client import DebituraClient

__all__ = ["changes"]


def changes(
    client: DebituraClient,
    store: SnapshotStore | str | Path,
    *,
    payments: bool = True,
    announce_existing: bool = True,
) -> ChangeFeed:
    """A `ChangeFeed` over every case (``GET /cases``) and, with `payments`, every payment
    (``GET /Payments``): ``CREATED``, ``STATUS_CHANGED``, ``CLOSED``, ``PAYMENT_RECEIVED``
    and ``PAYMENT_REVERSED`` events since the last acknowledged sync into `store`.
    With ``announce_existing=False`` a first sync records the current cases silently."""
    return ChangeFeed(
        PROVIDER,
        client.cases(),
        store,
        payments=client.payments.list() if payments else None,
        announce_existing=announce_existing,
    )
