"""Whatever a debt holds, no value of it appears in a validation error, a problem or a repr
(issue 11, item 13): fuzzed with a marker planted in every string field in turn."""

from __future__ import annotations

import os
from typing import Any

from debtkit_debitura import DebituraAdapter
from debtkit_getbill import GetBillAdapter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debtkit import ValidationError, Validator, structure
from debtkit.model import Debt
from tests.adversarial.hostile import DATA_PATHS, VALID_DATA, _set

MARKER = "Zq9MarkerXw"


def _value_at(path: tuple[str, ...]) -> Any:
    value: Any = VALID_DATA
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


# Every string field of a debt's data; values that are not strings are planted elsewhere.
TEXT_PATHS = [
    path
    for path in DATA_PATHS
    if path[0] not in {"metadata", "options", "overdue"}
    and path[-1] not in {"kind", "amount", "invoice_date", "due_date", "birth_date"}
    and not isinstance(_value_at(path), dict)
]
# Shown in repr by design: they identify the debt, not a person.
SHOWN_IN_REPR = {
    ("creditor_reference",),
    ("invoice_reference",),
    ("creditor_name",),
    ("currency",),
    ("debtor", "reference"),
    ("debtor", "address", "state"),
    ("debtor", "address", "country"),
}
VALIDATORS = [
    Validator(),
    Validator(GetBillAdapter().policy_rules()),
    Validator(DebituraAdapter().policy_rules()),
]
EXAMPLES = int(os.environ.get("DEBTKIT_FUZZ_EXAMPLES", "150"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    path=st.sampled_from(TEXT_PATHS),
    around=st.sampled_from(["{}", "+33 {}", "{}@example.com", "FR76 {}", "{}" * 40, " {} "]),
    validator=st.sampled_from(VALIDATORS),
)
def test_no_value_reaches_an_error_a_problem_or_a_repr(
    path: tuple[str, ...], around: str, validator: Validator
) -> None:
    data = _set(VALID_DATA, path, around.replace("{}", MARKER))
    try:
        debt = structure(data, Debt)
    except ValidationError as exc:
        shown = [str(exc), repr(exc), *(f"{p!s} {p!r}" for p in exc.problems)]
        assert not [text for text in shown if MARKER in text]
        return
    checked = validator.check(debt)
    if path not in SHOWN_IN_REPR:
        assert MARKER not in repr(checked)
    assert not [str(p) for p in checked.problems if MARKER in f"{p!s} {p!r}"]
    # What `validate` raises for these problems.
    assert MARKER not in str(ValidationError(checked.problems))
