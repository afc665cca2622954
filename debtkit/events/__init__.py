"""Following what happens to handed-over debts: neutral events and payments.

`debtkit.events.model` holds the provider-neutral `CaseEvent`, `EventType` and `Payment`;
adapters translate webhook deliveries and synced state into them.
"""

from debtkit.events.model import CaseEvent, EventType, Payment, delivery_digest

__all__ = ["CaseEvent", "EventType", "Payment", "delivery_digest"]
