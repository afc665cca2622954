"""debtkit: the async-first, provider-neutral SDK for debt-collection providers.

The model (`Debt`, `Debtor`, `Case`...), validation, errors and the adapter plugin API are
re-exported here; adapters are loaded by name with `load_adapter`.
"""

from debtkit._version import __version__
from debtkit.conversion import from_json, structure, to_json, unstructure
from debtkit.errors import (
    AmbiguousWriteError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    BusinessRuleError,
    ConfigurationError,
    ConflictError,
    ConnectionFailedError,
    DebtkitError,
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnknownProviderError,
    UnsupportedFeatureError,
    ValidationError,
    error_for_status,
)
from debtkit.model import (
    Address,
    AgeBreakdown,
    Case,
    CaseStatus,
    ContactPerson,
    Debt,
    Debtor,
    DebtorKind,
)
from debtkit.plugin import Adapter, Capability, ProviderClient, RateLimit, RateObservation
from debtkit.registry import Registry, load_adapter
from debtkit.validation import CheckedDebt, PolicyRule, Validator, load_debt, validate_debt

__all__ = [
    "APIStatusError",
    "Adapter",
    "Address",
    "AgeBreakdown",
    "AmbiguousWriteError",
    "AuthenticationError",
    "BadRequestError",
    "BusinessRuleError",
    "Capability",
    "Case",
    "CaseStatus",
    "CheckedDebt",
    "ConfigurationError",
    "ConflictError",
    "ConnectionFailedError",
    "ContactPerson",
    "Debt",
    "DebtkitError",
    "Debtor",
    "DebtorKind",
    "DuplicateError",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyRule",
    "Problem",
    "ProviderClient",
    "RateLimit",
    "RateLimitedError",
    "RateObservation",
    "Registry",
    "RequestTimeoutError",
    "ServerError",
    "TransportError",
    "UnknownProviderError",
    "UnsupportedFeatureError",
    "ValidationError",
    "Validator",
    "__version__",
    "error_for_status",
    "from_json",
    "load_adapter",
    "load_debt",
    "structure",
    "to_json",
    "unstructure",
    "validate_debt",
]
