"""Rate budgets, by capability: the gate every request waits at and the books it keeps.

- `debtkit.budget.gate`: `Budget` (the `RequestGate` of one credential), pools, statistics.
- `debtkit.budget.books`: the bookkeeping rules (`RateBook`, `MemoryRateBook`, tickets).
- `debtkit.budget.redis_books`: the same books shared through Redis by many processes.
"""

from debtkit.budget.books import (
    DEFAULT_FOREIGN_HEADROOM,
    DEFAULT_OPEN_TTL,
    DEFAULT_SKEW_MARGIN,
    MemoryRateBook,
    RateBook,
    Ticket,
)
from debtkit.budget.gate import (
    NO_BUDGET,
    Budget,
    BudgetPool,
    BudgetStats,
    LimitUsage,
    adapter_limits,
    adapter_retry_after,
    apply_overrides,
    credential_fingerprint,
    default_pool,
    gate_for,
)
from debtkit.budget.redis_books import RedisRateBook, shared_budget, shared_budget_for_adapter

__all__ = [
    "DEFAULT_FOREIGN_HEADROOM",
    "DEFAULT_OPEN_TTL",
    "DEFAULT_SKEW_MARGIN",
    "NO_BUDGET",
    "Budget",
    "BudgetPool",
    "BudgetStats",
    "LimitUsage",
    "MemoryRateBook",
    "RateBook",
    "RedisRateBook",
    "Ticket",
    "adapter_limits",
    "adapter_retry_after",
    "apply_overrides",
    "credential_fingerprint",
    "default_pool",
    "gate_for",
    "shared_budget",
    "shared_budget_for_adapter",
]
