"""GetBill answers -> debtkit: each response example of the docs, parsed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from debtkit_getbill import STATUS_MAP, ExpensiveDestinationError, GetBillAdapter

from debtkit import (
    AuthenticationError,
    BadRequestError,
    CaseStatus,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from tests.adapters.getbill.helpers import SECRET, response, seed

adapter = GetBillAdapter()


def test_get_debt_example_becomes_a_case() -> None:
    case = adapter.to_case(seed("get_debt.json")["data"])
    assert (case.provider, case.provider_id, case.creditor_reference) == (
        "getbill",
        "abc123def456",
        "DEBT-2024-001",
    )
    assert case.status is CaseStatus.IN_PROGRESS
    assert case.provider_status == "status.default.in_progress"
    assert (case.amount, case.currency) == (Decimal("1250.00"), "EUR")
    assert case.created_at == dt.datetime(2023, 11, 15, 10, 30, tzinfo=dt.timezone.utc)


def test_get_debt_example_keeps_every_field_in_raw() -> None:
    record = seed("get_debt.json")["data"]
    case = adapter.to_case(record)
    assert case.raw == record
    assert case.raw["contacts"] == []
    assert case.raw["payment_plan_active"] is False


def test_update_debt_example_reads_as_paid() -> None:
    case = adapter.to_case(seed("update_debt.json")["data"])
    assert case.status is CaseStatus.PAID
    assert case.creditor_reference == "INV-2024-001"


def test_list_debts_example_gives_both_debts_with_exact_amounts() -> None:
    cases = [adapter.to_case(r) for r in seed("list_debts.json")["data"]]
    assert [(c.provider_id, c.amount, c.status) for c in cases] == [
        ("abc123def456", Decimal("1250.00"), CaseStatus.IN_PROGRESS),
        ("xyz789ghi012", Decimal("750.50"), CaseStatus.PENDING),
    ]


def test_amount_text_wins_over_the_numeric_amount() -> None:
    record = {"id": "d1", "amount": Decimal("0.30000000000000004"), "amount_text": "0.30"}
    assert adapter.to_case(record).amount == Decimal("0.30")


def test_numeric_amount_is_used_when_amount_text_is_absent() -> None:
    assert adapter.to_case({"id": "d1", "amount": Decimal("12.5")}).amount == Decimal("12.5")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("status.default.pending", CaseStatus.PENDING),
        ("status.default.in_progress", CaseStatus.IN_PROGRESS),
        ("status.default.processing", CaseStatus.IN_PROGRESS),
        ("status.default.on_hold", CaseStatus.ON_HOLD),
        ("status.default.settled", CaseStatus.PAYMENT_PLAN),
        ("status.default.paid", CaseStatus.PAID),
        ("status.default.partial", CaseStatus.PARTIALLY_PAID),
        ("status.default.failed", CaseStatus.CLOSED_UNPAID),
        ("status.default.refused", CaseStatus.CLOSED_UNPAID),
        ("status.default.archived", CaseStatus.ARCHIVED),
        ("status.default.invalid_phone", CaseStatus.ACTION_REQUIRED),
    ],
)
def test_documented_status_maps_to_its_neutral_status(status: str, expected: CaseStatus) -> None:
    assert adapter.to_case({"id": "d1", "status": status}).status is expected
    assert status in STATUS_MAP


def test_custom_status_maps_to_unknown_and_keeps_the_string() -> None:
    case = adapter.to_case({"id": "d1", "status": "status.acme.lawyer_letter"})
    assert case.status is CaseStatus.UNKNOWN
    assert case.provider_status == "status.acme.lawyer_letter"


def test_status_matching_is_case_sensitive() -> None:
    assert adapter.to_case({"id": "d1", "status": "status.default.PAID"}).status is (
        CaseStatus.UNKNOWN
    )


def test_record_without_id_is_refused_as_invalid_provider_data() -> None:
    with pytest.raises(ValidationError) as caught:
        adapter.to_case({"status": "status.default.paid"})
    assert [p.path for p in caught.value.problems] == ["id"]


# -- error envelopes --------------------------------------------------------------------


def test_list_error_example_maps_details_to_problems() -> None:
    error = adapter.parse_error(response(400, seed("list_error_400.json")))
    assert isinstance(error, BadRequestError)
    assert [(p.path, p.message) for p in error.problems] == [
        ("amount_min", "Must be a valid number")
    ]


def test_validation_example_maps_fields_to_neutral_paths() -> None:
    error = adapter.parse_error(response(400, seed("validation_error_400.json"), method="POST"))
    assert {(p.path, p.code) for p in error.problems} == {
        ("debtor.first_name", "required"),
        ("amount", "required"),
        ("debtor.phone", "required"),
    }


def test_errors_list_envelope_is_read_too() -> None:
    error = adapter.parse_error(response(400, seed("creditor_errors_list_400.json")))
    assert [(p.path, p.code) for p in error.problems] == [("debtor.email", "rejected")]


def test_documented_phone_messages_get_stable_codes() -> None:
    body = {
        "error": True,
        "code": 400,
        "message": "Validation failed",
        "details": {"phone": ["number not registered in carrier database"]},
    }
    (problem,) = adapter.parse_error(response(400, body)).problems
    assert (problem.path, problem.code) == ("debtor.phone", "not_allocated")


def test_invalid_json_payload_example_is_a_bad_request_without_fields() -> None:
    error = adapter.parse_error(response(400, seed("update_error_400.json"), method="PUT"))
    assert isinstance(error, BadRequestError)
    assert error.problems == ()
    assert error.message == "Invalid JSON payload"


def test_401_example_is_an_authentication_error() -> None:
    assert isinstance(
        adapter.parse_error(response(401, seed("get_error_401.json"))), (AuthenticationError)
    )


def test_oauth_invalid_client_is_an_authentication_error() -> None:
    body = {"error": "invalid_client", "error_description": "Client authentication failed"}
    error = adapter.parse_error(response(401, body, method="POST", path="/token"))
    assert isinstance(error, AuthenticationError)
    assert error.message == "Client authentication failed"


def test_missing_scope_example_is_permission_denied() -> None:
    error = adapter.parse_error(response(403, seed("scope_error_403.json"), method="POST"))
    assert isinstance(error, PermissionDeniedError)


def test_404_is_not_found() -> None:
    body = {"error": True, "message": "Debt not found", "code": 404}
    assert isinstance(adapter.parse_error(response(404, body)), NotFoundError)


def test_5xx_is_a_server_error() -> None:
    for status in (500, 502, 503, 504):
        assert isinstance(adapter.parse_error(response(status, "Bad Gateway")), ServerError)


def test_422_expensive_destination_carries_destination_and_credits() -> None:
    body = {
        "error": True,
        "code": 422,
        "message": "Expensive destination",
        "details": {
            "error_type": "expensive_destination",
            "destination": {
                "country_code": "RE",
                "name": "Réunion",
                "credits": 100,
                "multiplier": Decimal("4.0"),
            },
        },
    }
    error = adapter.parse_error(response(422, body, method="POST"))
    assert isinstance(error, ExpensiveDestinationError)
    assert (error.destination, error.destination_name, error.credits, error.multiplier) == (
        "RE",
        "Réunion",
        100,
        Decimal("4.0"),
    )
    assert error.error_type == "expensive_destination"


def test_422_with_flat_destination_keys_is_read_too() -> None:
    body = {"error": True, "code": 422, "details": {"country_code": "MA", "credits": 125}}
    error = adapter.parse_error(response(422, body, method="POST"))
    assert isinstance(error, ExpensiveDestinationError)
    assert (error.destination, error.credits) == ("MA", 125)


def test_rate_limit_example_reads_retry_after_from_details() -> None:
    error = adapter.parse_error(response(429, seed("rate_limit_429.json")))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 1800


def test_retry_after_header_wins_over_the_body() -> None:
    error = adapter.parse_error(response(429, seed("rate_limit_429.json"), {"Retry-After": "7"}))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7


def test_rate_limit_reset_header_is_the_last_resort_for_retry_after() -> None:
    import time

    reset = str(int(time.time()) + 60)
    body = {"error": True, "code": 429, "message": "Rate limit exceeded"}
    error = adapter.parse_error(response(429, body, {"X-RateLimit-Reset": reset}))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == pytest.approx(60, abs=2)


def test_error_text_never_shows_provider_messages_or_values() -> None:
    body = {
        "error": True,
        "code": 400,
        "message": f"phone +33612345678 invalid {SECRET}",
        "details": {"phone": ["+33612345678 is not valid"]},
    }
    error = adapter.parse_error(response(400, body, method="POST"))
    assert "+33612345678" not in str(error)
    assert SECRET not in str(error)
    assert "debtor.phone" in str(error)


# -- rate-limit headers -----------------------------------------------------------------

HEADERS = {
    "X-RateLimit-Limit": "1000",
    "X-RateLimit-Remaining": "847",
    "X-RateLimit-Reset": "1641993600",
    "X-RateLimit-Window": "3600",
}


def test_rate_headers_of_a_read_are_a_read_observation() -> None:
    observation = adapter.parse_rate_headers(response(200, {}, HEADERS))
    assert observation is not None
    assert (observation.limit, observation.remaining, observation.reset_at) == (
        1000,
        847,
        1641993600.0,
    )
    assert (observation.window, observation.request_class) == (3600.0, "read")


def test_rate_headers_of_a_post_are_a_write_observation() -> None:
    observation = adapter.parse_rate_headers(response(201, {}, HEADERS, method="POST"))
    assert observation is not None
    assert observation.request_class == "write"


def test_fractional_rate_headers_are_accepted() -> None:
    headers = {**HEADERS, "X-RateLimit-Reset": "1700000000.25", "X-RateLimit-Window": "0.5"}
    observation = adapter.parse_rate_headers(response(200, {}, headers))
    assert observation is not None
    assert (observation.reset_at, observation.window) == (1700000000.25, 0.5)


def test_absent_rate_headers_give_none() -> None:
    assert adapter.parse_rate_headers(response(200, {})) is None


def test_malformed_rate_headers_give_none() -> None:
    headers = {**HEADERS, "X-RateLimit-Remaining": "lots"}
    assert adapter.parse_rate_headers(response(200, {}, headers)) is None
