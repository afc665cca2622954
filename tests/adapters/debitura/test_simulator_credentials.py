from __future__ import annotations

from debtkit_debitura import DebituraAdapter

from debtkit.simulator import CREDENTIALS


def test_simulator_publishes_the_credentials_it_accepts() -> None:
    app = DebituraAdapter().simulator(api_keys=["k-1"])
    assert app[CREDENTIALS] == {"api_key": "k-1"}
