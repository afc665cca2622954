"""Every public entry point that takes a caller's input raises only `debtkit` errors.

Each test feeds hostile input (see `hostile.py`) to one entry point and fails on any other
exception. The run is derandomized and database-free, so CI sees the same inputs every
time; ``DEBTKIT_FUZZ_EXAMPLES`` raises the count for a long local run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.options import parse_options
from debtkit_getbill import GetBillAdapter
from debtkit_getbill.credits import estimate_credits
from debtkit_getbill.options import GetBillOptions, options_problems
from debtkit_getbill.update import UPDATABLE_FIELDS, update_body
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debtkit import (
    Address,
    AgeBreakdown,
    Case,
    ContactPerson,
    Debt,
    DebtkitError,
    Debtor,
    Validator,
    from_json,
    load_debt,
    structure,
    to_json,
    validate_debt,
)
from debtkit.files import read_debts
from tests.adversarial.hostile import (
    hostile_data,
    hostile_debts,
    hostile_json_text,
    hostile_values,
    odd_text,
    scalars,
)
from tests.conftest import make_full_debt

EXAMPLES = int(os.environ.get("DEBTKIT_FUZZ_EXAMPLES", "150"))
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

GETBILL = GetBillAdapter()
DEBITURA = DebituraAdapter()
BASE = "http://127.0.0.1:9"  # never reached: `check` makes no request


def only_debtkit_errors(call: Callable[[], object]) -> None:
    with contextlib.suppress(DebtkitError):  # anything else fails the test
        call()


@pytest.fixture(scope="module")
def clients() -> list[Any]:
    # No request is ever made, so no session is opened and there is nothing to close.
    return [
        GETBILL.connect({"access_token": "tok"}, base_url=BASE),
        DEBITURA.connect({"api_key": "key"}, base_url=BASE),
    ]


@fuzz
@given(data=hostile_data())
def test_load_debt_raises_only_debtkit_errors(data: Any) -> None:
    only_debtkit_errors(lambda: load_debt(data))


@fuzz
@given(data=hostile_data(), provider=st.sampled_from([GETBILL, DEBITURA]))
def test_load_debt_with_provider_rules_raises_only_debtkit_errors(data: Any, provider: Any) -> None:
    only_debtkit_errors(lambda: load_debt(data, provider.policy_rules()))


@fuzz
@given(debt=hostile_debts())
def test_validate_debt_raises_only_debtkit_errors(debt: Any) -> None:
    only_debtkit_errors(lambda: validate_debt(debt))


@fuzz
@given(debt=hostile_debts())
def test_to_json_raises_only_debtkit_errors(debt: Any) -> None:
    only_debtkit_errors(lambda: to_json(debt))


@fuzz
@given(text=hostile_json_text())
def test_from_json_raises_only_debtkit_errors(text: Any) -> None:
    only_debtkit_errors(lambda: from_json(text, Debt))


@fuzz
@given(
    data=hostile_data() | hostile_values,
    cls=st.sampled_from([Debt, Debtor, Address, ContactPerson, AgeBreakdown, Case]),
)
def test_structure_raises_only_debtkit_errors(data: Any, cls: type) -> None:
    only_debtkit_errors(lambda: structure(data, cls))


@fuzz
@given(
    debt=hostile_debts(),
    relax=st.sampled_from([(), ["getbill.names"], "getbill.names", [None], 5]),
    region=st.sampled_from(["FR", "us", "ZZ", "", "ÿ", None, 3]) | odd_text,
)
def test_validator_check_and_validate_raise_only_debtkit_errors(
    debt: Any, relax: Any, region: Any
) -> None:
    def run() -> None:
        validator = Validator(GETBILL.policy_rules(), relax=relax, default_region=region)
        checked = validator.check(debt)
        assert isinstance(checked.problems, tuple)
        validator.validate(debt)

    only_debtkit_errors(run)


@fuzz
@given(debt=hostile_debts() | st.builds(make_full_debt), which=st.sampled_from([0, 1]))
def test_client_check_raises_only_debtkit_errors(clients: list[Any], debt: Any, which: int) -> None:
    only_debtkit_errors(lambda: clients[which].check(debt))


@fuzz
@given(debt=hostile_debts() | st.builds(make_full_debt), provider=st.sampled_from([0, 1]))
def test_to_wire_raises_only_debtkit_errors(debt: Any, provider: int) -> None:
    adapter = (GETBILL, DEBITURA)[provider]
    only_debtkit_errors(lambda: adapter.to_wire(debt))


@fuzz
@given(debts=st.lists(hostile_debts() | st.builds(make_full_debt), max_size=3))
def test_estimate_credits_raises_only_debtkit_errors(debts: list[Any]) -> None:
    only_debtkit_errors(lambda: estimate_credits(debts))
    only_debtkit_errors(lambda: GETBILL.estimate_cost(debts))


option_values = st.dictionaries(
    st.sampled_from(
        [
            "timeline_id",
            "timeline_start_mode",
            "accept_expensive_destination",
            "civility_completion",
            "email_validation",
            "creditor_division_id",
            "collection_partner_id",
            "allow_pending_contracts",
            "is_test",
            "tag",
            "assigned_user_email",
            "return_url",
            "skip_debitura_verification",
        ]
    )
    | odd_text,
    scalars,
    max_size=5,
)


@fuzz
@given(raw=option_values | hostile_values)
def test_option_parsing_raises_only_debtkit_errors(raw: Any) -> None:
    debt = make_full_debt(options={"getbill": raw, "debitura": raw})
    only_debtkit_errors(lambda: GetBillOptions.of(debt))
    only_debtkit_errors(lambda: GetBillOptions.lenient(debt))
    only_debtkit_errors(lambda: options_problems(debt))
    only_debtkit_errors(lambda: parse_options(raw))


@fuzz
@given(
    fields=st.dictionaries(
        st.sampled_from(sorted(UPDATABLE_FIELDS)) | odd_text, scalars | hostile_values, max_size=4
    ),
    region=st.sampled_from(["FR", "ZZ", "", "ÿ"]),
    accept=st.booleans(),
)
def test_getbill_update_body_raises_only_debtkit_errors(
    fields: dict[str, Any], region: str, accept: bool
) -> None:
    only_debtkit_errors(
        lambda: update_body(fields, accept_expensive_destination=accept, default_region=region)
    )


connect_options = st.dictionaries(
    st.sampled_from(
        ["base_url", "session", "gate", "retry", "timeouts", "relax", "rate_overrides",
         "time_scale", "token_url", "scope", "user_agent", "renew_margin", "clock",
         "default_region", "environment"]
    ),
    scalars | hostile_values,
    max_size=3,
)  # fmt: skip


@fuzz
@given(
    credentials=st.dictionaries(
        st.sampled_from(["access_token", "client_id", "client_secret", "api_key"]) | odd_text,
        scalars,
        max_size=3,
    )
    | hostile_values,
    options=connect_options,
    provider=st.sampled_from([0, 1]),
)
def test_connect_raises_only_debtkit_errors(
    credentials: Any, options: dict[str, Any], provider: int
) -> None:
    adapter = (GETBILL, DEBITURA)[provider]
    if provider == 1:
        options = {k: v for k, v in options.items() if k in DEBITURA_OPTIONS}
    only_debtkit_errors(lambda: adapter.connect(credentials, **{"base_url": BASE, **options}))


DEBITURA_OPTIONS = {"base_url", "session", "gate", "retry", "timeouts", "relax",
                    "rate_overrides", "time_scale", "clock", "environment"}  # fmt: skip


csv_cells = st.one_of(
    odd_text.filter(lambda text: "\x00" not in text),
    st.sampled_from(["NaN", "1e309", "-1", "0.001", "2024-02-30", "{}", "[1]", '{"a": [1, {}]}']),
)


@fuzz
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "creditor_reference": csv_cells,
                "amount": csv_cells,
                "currency": csv_cells,
                "debtor.phone": csv_cells,
                "debtor.kind": csv_cells,
                "metadata": csv_cells,
                "options": csv_cells,
            }
        ),
        min_size=1,
        max_size=4,
    ),
    lines=st.lists(hostile_json_text().filter(lambda text: isinstance(text, str)), max_size=4),
)
def test_read_debts_on_generated_rows_raises_only_debtkit_errors(
    rows: list[dict[str, str]], lines: list[str]
) -> None:
    import csv

    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder, "debts.csv")
        with open(table, "w", encoding="utf-8", errors="replace", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        stream = Path(folder, "debts.jsonl")
        text = "\n".join(line.replace("\n", " ") for line in lines if len(line) < 10_000)
        stream.write_text(text, encoding="utf-8", errors="replace")
        for path in (table, stream):
            only_debtkit_errors(lambda path=path: [validate_row(row) for row in read_debts(path)])


def validate_row(row: Any) -> None:
    if row.debt is not None:
        only_debtkit_errors(lambda: validate_debt(row.debt))
