from __future__ import annotations

from debtkit_getbill import GetBillAdapter

from debtkit.simulator import BASE_PATH, CREDENTIALS


def test_simulator_publishes_its_credentials_and_base_path() -> None:
    app = GetBillAdapter().simulator(client_id="c", client_secret="s")
    assert app[CREDENTIALS] == {"client_id": "c", "client_secret": "s"}
    assert app[BASE_PATH] == "/external-api/v1"


def test_adapter_describes_the_credit_cost_of_an_import() -> None:
    from debtkit.sample import sample_debts

    lines = GetBillAdapter().estimate_cost(sample_debts(50, seed=2, broken=0.0))
    assert lines[0].startswith("estimated GetBill credits: ")
    assert "france" in lines[0]
