"""The Debitura simulator: `create_app(...)` builds the application, ``app[STATE]`` is its
memory. See `debtkit_debitura.simulator.app` for what it does and which readings it takes."""

from debtkit_debitura.simulator.app import DEFAULT_API_KEY, DEFAULT_LIMITS, STATE, create_app
from debtkit_debitura.simulator.records import RECORDS, Records
from debtkit_debitura.simulator.state import LoggedRequest, SimulatorState, StoredCase

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_LIMITS",
    "RECORDS",
    "STATE",
    "LoggedRequest",
    "Records",
    "SimulatorState",
    "StoredCase",
    "create_app",
]
