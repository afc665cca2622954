"""GetBill errors never bring values the server echoed into `str()` (issue 11, item 13)."""

from __future__ import annotations

from debtkit_getbill.errors import error_from_response

from tests.adapters.getbill.helpers import response

ECHOED = "+33612345678"


def test_field_names_that_carry_a_value_stay_out_of_the_summary() -> None:
    body = {"error": True, "message": f"bad {ECHOED}", "details": {ECHOED: [f"bad {ECHOED}"]}}
    error = error_from_response(response(422, body))
    assert ECHOED not in str(error)
    assert error.problems[0].path == ECHOED  # kept on the attribute for the caller


def test_an_echoed_destination_that_is_no_country_code_stays_out_of_the_summary() -> None:
    body = {
        "error": True,
        "message": "expensive destination",
        "details": {
            "error_type": "expensive_destination",
            "destination": {"country_code": ECHOED, "credits": 100},
        },
    }
    error = error_from_response(response(422, body))
    assert ECHOED not in str(error)


def test_a_request_id_that_carries_a_value_stays_out_of_the_summary() -> None:
    error = error_from_response(response(500, {}, {"X-Request-Id": f"jean dupont {ECHOED}"}))
    assert ECHOED not in str(error)
