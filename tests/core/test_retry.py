from __future__ import annotations

import random

import pytest

from debtkit import ConnectionFailedError, RateLimitedError, ServerError
from debtkit.retry import NO_RETRY, RetryPolicy, retry_after_seconds

NOW = 1_700_000_000.0


def test_retry_after_in_seconds_is_read() -> None:
    assert retry_after_seconds({"Retry-After": "30"}) == 30.0
    assert retry_after_seconds({"retry-after": " 1.5 "}) == 1.5


def test_retry_after_as_an_http_date_is_read_against_the_clock() -> None:
    headers = {"Retry-After": "Tue, 14 Nov 2023 22:15:00 GMT"}  # NOW + 100 s
    assert retry_after_seconds(headers, now=NOW) == pytest.approx(100.0)


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert retry_after_seconds({"retry-after-ms": "250", "Retry-After": "9"}) == 0.25


def test_unreadable_or_missing_retry_after_is_none_and_past_is_zero() -> None:
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "-5"}) == 0.0
    assert retry_after_seconds({"Retry-After": "Tue, 14 Nov 2023 22:00:00 GMT"}, now=NOW) == 0.0


def _limited(
    retry_after: float | None = None, headers: dict[str, str] | None = None
) -> RateLimitedError:
    return RateLimitedError(
        "slow down",
        retry_after=retry_after,
        provider="p",
        method="GET",
        path="/x",
        status=429,
        headers=headers,
    )


def test_server_wait_from_the_header_is_used_when_the_adapter_read_none() -> None:
    error = _limited(headers={"Retry-After": "3"})
    assert RetryPolicy().delay(1, error) == 3.0


def test_server_wait_beyond_the_cap_from_the_header_is_not_retried() -> None:
    assert not RetryPolicy(max_server_wait=60).is_retryable(_limited(headers={"Retry-After": "61"}))


def test_a_503_asking_for_a_wait_gets_that_wait() -> None:
    error = ServerError(
        "busy", provider="p", method="GET", path="/x", status=503, headers={"Retry-After": "2"}
    )
    assert RetryPolicy().delay(1, error) == 2.0


def test_backoff_doubles_up_to_the_cap_with_jitter_shaving_at_most_its_fraction() -> None:
    policy = RetryPolicy(base=1.0, cap=4.0, jitter=0.5)
    error = ConnectionFailedError("p", "GET", "/x", "reset")
    rng = random.Random(7)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        for _ in range(50):
            assert ceiling * 0.5 <= policy.delay(attempt, error, rng) <= ceiling


def test_no_retry_makes_a_single_attempt() -> None:
    assert NO_RETRY.attempts == 1


def test_a_policy_without_attempts_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
