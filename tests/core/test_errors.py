from __future__ import annotations

import pytest

from debtkit import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    BusinessRuleError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RateLimitedError,
    ServerError,
    ValidationError,
    error_for_status,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, BusinessRuleError),
        (429, RateLimitedError),
        (500, ServerError),
        (503, ServerError),
        (418, BadRequestError),
        (302, APIStatusError),
    ],
)
def test_status_maps_to_one_error_class(status: int, cls: type[APIStatusError]) -> None:
    assert error_for_status(status) is cls


def test_status_error_str_names_where_it_happened() -> None:
    error = NotFoundError(
        "Debt not found",
        provider="getbill",
        method="get",
        path="/external-api/v1/debts/abc?search=john.doe@example.com",
        status=404,
        request_id="req-1",
    )
    assert str(error) == "getbill GET /external-api/v1/debts/abc -> 404 (request id req-1)"


def test_status_error_str_lists_field_paths_not_their_values() -> None:
    error = BadRequestError(
        "Validation failed",
        provider="getbill",
        method="POST",
        path="/debts",
        status=400,
        problems=[Problem("debtor.phone", "invalid", "+33699999999 is not valid")],
    )
    assert "debtor.phone" in str(error)
    assert "+33699999999" not in str(error)


def test_validation_error_str_carries_paths_and_codes_only() -> None:
    error = ValidationError([Problem("debtor.email", "invalid_email", "jane@@x is bad")])
    assert str(error) == "invalid debt: 1 problem(s): debtor.email [invalid_email]"


def test_business_rule_error_keeps_type_and_solution_url() -> None:
    error = BusinessRuleError(
        "SDCA must be signed",
        error_type="MissingDebtCollectionContract",
        solution_url="https://app.debitura.com/settings/contracts",
        provider="debitura",
        method="POST",
        path="/cases",
        status=422,
    )
    assert error.error_type == "MissingDebtCollectionContract"
    assert error.solution_url == "https://app.debitura.com/settings/contracts"
    assert str(error).endswith("MissingDebtCollectionContract")


def test_rate_limited_error_carries_retry_after() -> None:
    error = RateLimitedError(
        "slow down", retry_after=1800, provider="getbill", method="GET", path="/debts", status=429
    )
    assert error.retry_after == 1800
    assert "retry after 1800s" in str(error)
