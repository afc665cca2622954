"""Hostile arguments to every Debitura resource call: only debtkit errors ever come out, and
nothing outside Debitura's OpenAPI document is sent (the ``sim`` fixture checks the wire)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from debtkit_debitura import DebituraClient
from debtkit_debitura.divisions import DivisionFields
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit import DebtkitError
from tests.adapters.debitura.helpers import MISSING_CASE, connect

HOSTILE: tuple[Any, ...] = (
    None, "", ".", "..", "/", "a/../../me", "%2F", "\x00", "é" * 300, "x" * 5000, 0, -1, 2**40,
    True, 1.5, Decimal("NaN"), b"", b"\xff", object(), [], {}, MISSING_CASE,
)  # fmt: skip

Call = Callable[[], Awaitable[Any]]


async def _drain(iterator: Any) -> None:
    async for _ in iterator:
        pass


def _calls(client: DebituraClient, value: Any) -> list[Call]:
    fields = DivisionFields("A", "B", "DK")
    return [
        lambda: client.files.upload(value, b"%PDF", file_name="a.pdf"),
        lambda: client.files.upload(MISSING_CASE, value),
        lambda: client.files.upload(MISSING_CASE, b"x", file_name=value),
        lambda: client.files.upload(MISSING_CASE, b"x", file_name="a.pdf", document_type=value),
        lambda: client.files.upload(MISSING_CASE, b"x", file_name="a.pdf", description=value),
        lambda: _drain(client.files.list(value)),
        lambda: _drain(client.messages.list(value)),
        lambda: client.messages.send(value, "hi", sender_email="creditor@example.com"),
        lambda: client.messages.send(MISSING_CASE, value, sender_email=value),
        lambda: client.case_detail.timeline(value),
        lambda: client.case_detail.contract_status(value),
        lambda: client.case_detail.validation(value),
        lambda: client.case_detail.exclusive_period(value),
        lambda: _drain(client.quotes.requests(value)),
        lambda: client.quotes.request(value, value),
        lambda: _drain(client.quotes.quotes(value, value)),
        lambda: client.quotes.quote(value, value, value),
        lambda: client.coverage.get(value),
        lambda: client.coverage.check_eligibility(
            country=value, debtor_type=value, amount=value, currency=value, state=value
        ),
        lambda: client.coverage.check_eligibility(
            country="DK", debtor_type="Company", amount=value, currency="DKK"
        ),
        lambda: _drain(client.account.users(page_size=value)),
        lambda: _drain(client.divisions.list(page_size=value)),
        lambda: client.divisions.get(value),
        lambda: client.divisions.create(value),
        lambda: client.divisions.create(DivisionFields(value, value, value)),
        lambda: client.divisions.create(fields, idempotency_key=value),
        lambda: client.divisions.update(value, fields),
        lambda: client.divisions.archive(value),
        lambda: client.divisions.delete(value),
    ]


async def test_hostile_arguments_raise_only_debtkit_errors(sim: RunningSimulator) -> None:
    escaped = []
    tried = 0
    async with connect(sim) as client:
        for value in HOSTILE:
            for index, call in enumerate(_calls(client, value)):
                tried += 1
                try:
                    await call()
                except DebtkitError:
                    pass
                except Exception as error:
                    escaped.append((index, repr(value)[:30], type(error).__name__, str(error)[:80]))
    assert tried == len(HOSTILE) * 29
    assert not escaped, escaped
