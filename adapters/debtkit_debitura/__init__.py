"""Debitura adapter for debtkit (a network of collection partners).

`DebituraAdapter` is found through the ``debtkit.adapters`` entry point; `connect()` gives a
`DebituraClient`, whose attributes `files`, `messages`, `case_detail`, `quotes`, `account`,
`coverage` and `divisions` cover the rest of Debitura's API (`debtkit_debitura.operations`
maps every documented operation to its method). The simulator lives in
`debtkit_debitura.simulator` and its pytest fixtures in `debtkit_debitura.pytest_plugin`.
"""

from debtkit_debitura.adapter import ENVIRONMENTS, DebituraAdapter
from debtkit_debitura.auth import ApiKeyAuth
from debtkit_debitura.client import SORT_FIELDS, DebituraClient
from debtkit_debitura.divisions import DivisionFields
from debtkit_debitura.files import DocumentType
from debtkit_debitura.mapping import LIFECYCLES, case_status
from debtkit_debitura.options import DebituraOptions, parse_options
from debtkit_debitura.wire import (
    CreditorProfile,
    Jurisdiction,
    PartnerAssignment,
    PreviewResult,
    PricingPreview,
    RequiredAction,
)

__all__ = [
    "ENVIRONMENTS",
    "LIFECYCLES",
    "SORT_FIELDS",
    "ApiKeyAuth",
    "CreditorProfile",
    "DebituraAdapter",
    "DebituraClient",
    "DebituraOptions",
    "DivisionFields",
    "DocumentType",
    "Jurisdiction",
    "PartnerAssignment",
    "PreviewResult",
    "PricingPreview",
    "RequiredAction",
    "case_status",
    "parse_options",
]
