"""Debitura errors never bring values the server echoed into `str()` (issue 11, item 13)."""

from __future__ import annotations

from debtkit_debitura import DebituraAdapter

from debtkit.transport import Response

ECHOED = "jean.dupont@example.com"


def response(status: int, body: object) -> Response:
    return Response(
        method="POST",
        path="/cases",
        status=status,
        headers={},
        body=body,
        request_id=None,
        elapsed=0.01,
    )


def test_field_names_that_carry_a_value_stay_out_of_the_summary() -> None:
    error = DebituraAdapter().parse_error(response(400, {ECHOED: [f"{ECHOED} is taken"]}))
    assert ECHOED not in str(error)


def test_a_business_error_type_that_carries_a_value_stays_out_of_the_summary() -> None:
    body = {"businessErrors": [{"type": f"Refused {ECHOED}", "message": ECHOED}]}
    error = DebituraAdapter().parse_error(response(422, body))
    assert ECHOED not in str(error)
