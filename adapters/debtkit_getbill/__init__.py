"""GetBill adapter for debtkit (AI reminders by call, SMS and email).

``debtkit.load_adapter("getbill")`` finds `GetBillAdapter`; ``adapter.connect(credentials)``
gives a `GetBillClient`. The simulator lives in `debtkit_getbill.simulator`.
"""

from debtkit_getbill.adapter import DEFAULT_BASE_URL, GetBillAdapter
from debtkit_getbill.auth import DEFAULT_SCOPE, GetBillAuth
from debtkit_getbill.client import GetBillClient
from debtkit_getbill.company import CompanyProfile, CompanyUser, Credits, Subscription
from debtkit_getbill.creditors import Creditor
from debtkit_getbill.credits import CreditEstimate, estimate_credits
from debtkit_getbill.debtors import Debtor
from debtkit_getbill.destinations import Destination, destination_for
from debtkit_getbill.errors import ExpensiveDestinationError
from debtkit_getbill.followups import Followup, FollowupDirection, FollowupStatus, FollowupType
from debtkit_getbill.options import GetBillOptions
from debtkit_getbill.reports import DownloadError, Report, ReportDownload
from debtkit_getbill.update import UPDATABLE_FIELDS
from debtkit_getbill.wire import STATUS_MAP, WRITABLE_STATUSES

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_SCOPE",
    "STATUS_MAP",
    "UPDATABLE_FIELDS",
    "WRITABLE_STATUSES",
    "CompanyProfile",
    "CompanyUser",
    "CreditEstimate",
    "Creditor",
    "Credits",
    "Debtor",
    "Destination",
    "DownloadError",
    "ExpensiveDestinationError",
    "Followup",
    "FollowupDirection",
    "FollowupStatus",
    "FollowupType",
    "GetBillAdapter",
    "GetBillAuth",
    "GetBillClient",
    "GetBillOptions",
    "Report",
    "ReportDownload",
    "Subscription",
    "destination_for",
    "estimate_credits",
]
