"""`MalformedResponseError`: a 2xx whose body cannot be read is ambiguous after a write, and
says where it happened without repeating the body."""

from __future__ import annotations

import pytest

from debtkit import DebtkitError, MalformedResponseError, ValidationError
from debtkit.exactly_once import create_exactly_once, is_ambiguous
from debtkit.retry import RetryPolicy

POLICY = RetryPolicy(attempts=3, base=0.0, cap=0.0)


def unreadable() -> MalformedResponseError:
    return MalformedResponseError(
        "getbill", "post", "/external-api/v1/debts?search=R-1", 201, "body is not JSON",
        request_id="req-9", body="Marie Curie +33612345678",
    )  # fmt: skip


def test_message_names_the_call_status_and_reason_not_the_body() -> None:
    assert str(unreadable()) == (
        "getbill POST /external-api/v1/debts -> 201 (request id req-9): "
        "unreadable answer: body is not JSON"
    )


def test_it_is_a_debtkit_error_and_not_a_validation_error() -> None:
    error = unreadable()
    assert isinstance(error, DebtkitError)
    assert not isinstance(error, ValidationError)


def test_it_is_ambiguous() -> None:
    assert is_ambiguous(unreadable())


async def test_create_answered_unreadably_is_looked_up_and_not_sent_again() -> None:
    sends: list[int] = []

    async def send() -> str:
        sends.append(1)
        raise unreadable()

    async def look_up() -> str | None:
        return "the case"

    result = await create_exactly_once(
        send, look_up, lambda found: found, provider="getbill", references=["R-1"], retry=POLICY
    )
    assert result == "the case"
    assert len(sends) == 1


async def test_create_answered_unreadably_and_absent_is_sent_again() -> None:
    outcomes: list[object] = [unreadable(), "the case"]

    async def send() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return str(outcome)

    async def look_up() -> str | None:
        return None

    result = await create_exactly_once(
        send, look_up, lambda found: found, provider="getbill", references=["R-1"], retry=POLICY
    )
    assert result == "the case"
    assert outcomes == []


async def test_unreadable_lookup_makes_the_create_explicitly_ambiguous() -> None:
    async def send() -> str:
        raise unreadable()

    async def look_up() -> str | None:
        raise unreadable()

    with pytest.raises(DebtkitError) as caught:
        await create_exactly_once(
            send, look_up, lambda f: f, provider="getbill", references=["R-1"], retry=POLICY
        )
    assert type(caught.value).__name__ == "AmbiguousWriteError"
