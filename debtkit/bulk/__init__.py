"""Bulk import, by capability: the importer and the journal it keeps.

- `debtkit.bulk.importer`: `bulk_import`, its results and outcomes.
- `debtkit.bulk.ledger`: the import journal that makes reruns exactly-once.
"""

from debtkit.bulk.importer import (
    BatchCreator,
    BulkFinder,
    BulkResult,
    CheckedDebtCreator,
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
    "CheckedDebtCreator",
    "Ledger",
    "LedgerEntry",
    "LedgerState",
    "Outcome",
    "Progress",
    "ReferenceCheckingCreator",
    "bulk_import",
    "content_hash",
]
