from __future__ import annotations

import datetime as dt
import email.utils
from decimal import Decimal
from typing import Any

import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.errors import neutral_path

from debtkit import (
    AuthenticationError,
    BadRequestError,
    BusinessRuleError,
    DuplicateError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from debtkit.transport import Response

adapter = DebituraAdapter()


def response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    return Response(
        method="POST",
        path="/cases",
        status=status,
        headers=headers or {},
        body=body,
        request_id=None,
        elapsed=0.01,
    )


def fields(error: Any) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in error.problems]


def test_field_dictionary_becomes_bad_request_with_neutral_paths() -> None:
    error = adapter.parse_error(
        response(400, {"debtor.email": ["Invalid email."], "amountToRecover": ["Must be > 0."]})
    )
    assert isinstance(error, BadRequestError)
    assert fields(error) == [("debtor.email", "Invalid email."), ("amount", "Must be > 0.")]


def test_pascal_case_field_keys_map_to_the_same_neutral_paths() -> None:
    error = adapter.parse_error(
        response(400, {"Debtor.ZipCode": ["Required."], "CreditorReference": ["Too long."]})
    )
    assert [p.path for p in error.problems] == ["debtor.address.postal_code", "creditor_reference"]


@pytest.mark.parametrize(
    ("wire", "neutral"),
    [
        ("currencyCode", "currency"),
        ("date", "invoice_date"),
        ("dueDate", "due_date"),
        ("amountToRecoverOver12Months", "overdue.over_12_months"),
        ("claimDescription", "description"),
        ("comments", "notes"),
        ("debtor.type", "debtor.kind"),
        ("debtor.address", "debtor.address.street"),
        ("debtor.city", "debtor.address.city"),
        ("debtor.stateAlpha2", "debtor.address.state"),
        ("debtor.countryAlpha2", "debtor.address.country"),
        ("debtor.companyRegistrationNumber", "debtor.registration_number"),
        ("$.debtor.phone", "debtor.phone"),
        ("tag", "options.debitura.tag"),
        ("Idempotency-Key", "idempotency_key"),
        ("someNewField", "someNewField"),
        ("$", ""),
    ],
)
def test_wire_field_paths_map_back_to_neutral_paths(wire: str, neutral: str) -> None:
    assert neutral_path(wire) == neutral


def test_validation_problem_details_becomes_bad_request_with_field_problems() -> None:
    body = {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": {"Debtor.CountryAlpha2": ["Invalid country code."]},
        "traceId": "00-abc-def-00",
    }
    error = adapter.parse_error(response(400, body))
    assert isinstance(error, BadRequestError)
    assert fields(error) == [("debtor.address.country", "Invalid country code.")]


def test_problem_details_without_errors_keeps_its_title_as_message() -> None:
    body = {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "Body malformed",
    }
    error = adapter.parse_error(response(400, body))
    assert (type(error), error.message, error.problems) == (BadRequestError, "Body malformed", ())


def test_api_error_response_keeps_its_business_error_types() -> None:
    body = {
        "error": "Validation failed",
        "message": "Invalid currency",
        "businessErrors": [{"type": "UnsupportedCurrency", "message": "Invalid currency"}],
    }
    error = adapter.parse_error(response(400, body))
    assert isinstance(error, BadRequestError)
    assert [(p.path, p.code) for p in error.problems] == [("", "UnsupportedCurrency")]


@pytest.mark.parametrize(
    "error_type",
    [
        "NoPartnerAvailable",
        "MissingDebtCollectionContract",
        "MissingPowerOfAttorney",
        "MissingKycVerification",
        "CreditorBlocked",
        "IdempotencyConflict",
        "SomethingDebituraAddsLater",
    ],
)
def test_business_errors_keep_their_type_and_solution_url(error_type: str) -> None:
    body = {
        "businessErrors": [
            {"type": error_type, "message": "m", "solutionUrl": "https://app.debitura.com/fix"}
        ],
        "signingHandoff": None,
    }
    error = adapter.parse_error(response(422, body))
    assert isinstance(error, BusinessRuleError)
    assert (error.error_type, error.solution_url) == (error_type, "https://app.debitura.com/fix")


def test_business_error_without_solution_url_uses_the_combined_signing_url() -> None:
    body = {
        "businessErrors": [{"type": "MissingPowerOfAttorney", "message": "m", "solutionUrl": None}],
        "signingHandoff": {"combinedSigningUrl": "https://app.debitura.com/signing"},
    }
    error = adapter.parse_error(response(422, body))
    assert error.solution_url == "https://app.debitura.com/signing"  # type: ignore[attr-defined]


def test_every_business_error_of_a_422_is_kept_as_a_problem() -> None:
    body = {
        "businessErrors": [
            {"type": "MissingDebtCollectionContract", "message": "a"},
            {"type": "MissingPowerOfAttorney", "message": "b"},
        ]
    }
    error = adapter.parse_error(response(422, body))
    assert [p.code for p in error.problems] == [
        "MissingDebtCollectionContract",
        "MissingPowerOfAttorney",
    ]


def test_legacy_business_rule_dictionary_becomes_a_business_rule_error() -> None:
    body = {"BusinessRule": ["We don't have an exclusive pre-legal partner in this region."]}
    error = adapter.parse_error(response(422, body))
    assert isinstance(error, BusinessRuleError)
    assert error.error_type == "BusinessRule"
    assert error.message.startswith("We don't have")


def test_duplicate_reference_in_a_field_dictionary_becomes_duplicate_error() -> None:
    body = {"creditorReference": ["DuplicateReference: creditorReference already exists."]}
    error = adapter.parse_error(response(400, body))
    assert isinstance(error, DuplicateError)
    assert error.status == 400


def test_duplicate_reference_in_api_error_response_becomes_duplicate_error() -> None:
    body = {"error": "DuplicateReference", "message": "Duplicate creditorReference"}
    assert isinstance(adapter.parse_error(response(400, body)), DuplicateError)


def test_duplicate_creditor_reference_business_error_becomes_duplicate_error() -> None:
    body = {"businessErrors": [{"type": "DuplicateCreditorReference", "message": "exists"}]}
    error = adapter.parse_error(response(422, body))
    assert isinstance(error, DuplicateError)
    assert error.status == 422


def test_other_creditor_reference_problem_is_not_a_duplicate() -> None:
    body = {"creditorReference": ["The field must be at most 50 characters."]}
    assert type(adapter.parse_error(response(400, body))) is BadRequestError


def test_rate_limit_reads_retry_after_from_the_body() -> None:
    body = {"error": "rate_limit_exceeded", "message": "Slow down", "retryAfter": Decimal("42.5")}
    error = adapter.parse_error(response(429, body, {"Retry-After": "5"}))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 42.5


def test_rate_limit_falls_back_to_the_retry_after_header_in_seconds() -> None:
    error = adapter.parse_error(response(429, None, {"Retry-After": "7"}))
    assert error.retry_after == 7.0  # type: ignore[attr-defined]


def test_rate_limit_reads_a_retry_after_header_given_as_a_date() -> None:
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)
    error = adapter.parse_error(
        response(429, None, {"Retry-After": email.utils.format_datetime(later, usegmt=True)})
    )
    assert 25 <= error.retry_after <= 31  # type: ignore[attr-defined,operator]


def test_rate_limit_without_any_hint_has_no_retry_after() -> None:
    assert adapter.parse_error(response(429, "")).retry_after is None  # type: ignore[attr-defined]


def test_empty_401_becomes_authentication_error() -> None:
    assert isinstance(adapter.parse_error(response(401, None)), AuthenticationError)


def test_404_becomes_not_found() -> None:
    body = {"error": "NotFound", "message": "Case not found.", "businessErrors": None}
    assert isinstance(adapter.parse_error(response(404, body)), NotFoundError)


def test_500_with_business_errors_only_becomes_server_error_with_its_message() -> None:
    body = {"businessErrors": [{"type": "InternalServerError", "message": "Unexpected."}]}
    error = adapter.parse_error(response(500, body))
    assert (type(error), error.message) == (ServerError, "Unexpected.")


def test_plain_text_error_body_is_handled() -> None:
    error = adapter.parse_error(response(502, "<html>Bad gateway</html>"))
    assert (type(error), error.status) == (ServerError, 502)


def test_error_text_never_shows_provider_messages_or_personal_data() -> None:
    body = {"debtor.email": ["'jeanne.martin@example.com' is not valid for Jeanne Martin"]}
    text = str(adapter.parse_error(response(400, body)))
    assert "jeanne" not in text.lower()
    assert text == "debitura POST /cases -> 400; fields: debtor.email"
