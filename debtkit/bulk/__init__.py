"""Bulk import, by capability: the importer and the journal it keeps.

- `debtkit.bulk.importer`: `bulk_import`, its results and outcomes.
- `debtkit.bulk.ledger`: the import journal that makes reruns exactly-once.
- `debtkit.bulk.settle`: lost batches settled in the background, one listing for all waiting.
"""

from debtkit.bulk.importer import (
    BatchCreator,
    BulkFinder,
    BulkResult,
    Outcome,
    Progress,
    ReferenceCheckingCreator,
    bulk_import,
)
from debtkit.bulk.ledger import Ledger, LedgerEntry, LedgerState, content_hash

__all__ = [
    "BatchCreator",
    "BulkFinder",
    "BulkResult",
    "Ledger",
    "LedgerEntry",
    "LedgerState",
    "Outcome",
    "Progress",
    "ReferenceCheckingCreator",
    "bulk_import",
    "content_hash",
]
