"""Every wait a server asks of the shared budget is capped at `max_server_wait` (issue 11,
item 5): a 429's Retry-After (header or adapter-read body), an `X-RateLimit-Reset`, a window.
On virtual time, so an uncapped wait shows as hours, not as a hang."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import pytest

from debtkit import RateLimit, RateObservation
from debtkit.budget import Budget, BudgetPool, gate_for
from debtkit.retry import DEFAULT_MAX_SERVER_WAIT
from debtkit.transport import Request, Response
from tests.core.acme_adapter import AcmeAdapter
from tests.core.test_budget import READ, response
from tests.core.virtual_time import EPOCH_START, VirtualTimeLoop, run_virtual

HOUR = [RateLimit("hour", 100, 3600.0)]


def capped_budget(loop: VirtualTimeLoop, limits: Sequence[RateLimit], **options: object) -> Budget:
    options.setdefault("max_server_wait", 5.0)
    options.setdefault("skew_margin", 0.0)
    return Budget(limits, clock=loop.epoch, sleep=asyncio.sleep, **options)  # type: ignore[arg-type]


def next_admission_after(answer: Response, limits: Sequence[RateLimit], **options: object) -> float:
    """Seconds until the next attempt is admitted after one attempt got `answer`."""

    async def main(loop: VirtualTimeLoop) -> float:
        budget = capped_budget(loop, limits, **options)
        await budget.before_attempt(READ)
        budget.after_response(READ, answer)
        await budget.before_attempt(READ)
        return loop.epoch() - EPOCH_START

    return run_virtual(main)


@pytest.mark.parametrize("value", ["99999999", "1e309", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_huge_retry_after_header_pauses_the_budget_only_up_to_the_cap(value: str) -> None:
    assert next_admission_after(response(429, {"Retry-After": value}), HOUR) == pytest.approx(5.0)


@pytest.mark.parametrize("seconds", [1e12, math.inf])
def test_a_huge_wait_read_by_the_adapter_pauses_the_budget_only_up_to_the_cap(
    seconds: float,
) -> None:
    waited = next_admission_after(response(429), HOUR, retry_after=lambda r: seconds)
    assert waited == pytest.approx(5.0)


def test_a_nan_wait_pauses_nothing() -> None:
    assert next_admission_after(response(429), HOUR, retry_after=lambda r: math.nan) == 0.0


def test_a_far_rate_limit_reset_on_a_429_pauses_only_up_to_the_cap() -> None:
    def observe(r: Response) -> RateObservation:
        return RateObservation(None, None, EPOCH_START + 1e9, None)

    assert next_admission_after(response(429), HOUR, observe=observe) == pytest.approx(5.0)


def test_a_far_reset_of_an_exhausted_fixed_window_holds_only_up_to_the_cap() -> None:
    fixed = [RateLimit("minute", 1, 60.0, "fixed")]

    def observe(r: Response) -> RateObservation:
        return RateObservation(1, 0, EPOCH_START + 1e9, 60.0)

    # Without a cap the foreign unit would be held until the reset, 31 years away.
    assert next_admission_after(response(), fixed, observe=observe) <= 60.0


def test_a_reset_within_the_configured_window_is_believed_beyond_the_cap() -> None:
    hourly = [RateLimit("hour", 3, 3600.0, "fixed")]

    def observe(r: Response) -> RateObservation:
        return RateObservation(3, 0, EPOCH_START + 1800.0, 3600.0)

    assert next_admission_after(response(), hourly, observe=observe) == pytest.approx(1800.0)


def test_an_absurd_window_is_believed_only_up_to_the_configured_one() -> None:
    def observe(r: Response) -> RateObservation:
        return RateObservation(100, 99, None, 1e9)

    async def main(loop: VirtualTimeLoop) -> float:
        budget = capped_budget(loop, HOUR, observe=observe)
        await budget.before_attempt(READ)
        budget.after_response(READ, response())
        return budget.limits[0].window

    assert run_virtual(main) == 3600.0


@pytest.mark.parametrize("window", [math.nan, math.inf, -1.0, 0.0])
def test_an_unusable_window_is_ignored(window: float) -> None:
    def observe(r: Response) -> RateObservation:
        return RateObservation(100, 99, math.nan, window)

    async def main(loop: VirtualTimeLoop) -> float:
        budget = capped_budget(loop, HOUR, observe=observe)
        await budget.before_attempt(READ)
        budget.after_response(READ, response())
        return budget.limits[0].window

    assert run_virtual(main) == 3600.0


def test_sharing_clients_lower_the_cap_and_never_raise_it() -> None:
    budget = Budget(HOUR)
    assert budget.max_server_wait == DEFAULT_MAX_SERVER_WAIT
    budget.cap_server_waits(3.0)
    budget.cap_server_waits(600.0)
    assert budget.max_server_wait == 3.0


def test_connect_caps_the_shared_budget_at_the_clients_max_server_wait() -> None:
    pool = BudgetPool()
    credentials = {"api_key": "k"}
    first = gate_for(AcmeAdapter(), credentials, pool=pool, max_server_wait=30.0)
    second = gate_for(AcmeAdapter(), credentials, pool=pool, max_server_wait=2.0)
    assert first is second
    assert isinstance(first, Budget)
    assert first.max_server_wait == 2.0


def test_connect_caps_a_budget_given_as_gate_too() -> None:
    budget = Budget(HOUR)
    assert gate_for(AcmeAdapter(), {"api_key": "k"}, budget, max_server_wait=2.0) is budget
    assert budget.max_server_wait == 2.0


def test_a_request_class_no_limit_covers_is_not_paused() -> None:
    # A request class no limit covers is admitted at once, whatever was paused.
    async def main(loop: VirtualTimeLoop) -> float:
        budget = capped_budget(loop, HOUR)
        await budget.before_attempt(READ)
        budget.after_response(READ, response(429, {"Retry-After": "99999999"}))
        await budget.before_attempt(Request("POST", "/token", request_class="auth"))
        return loop.epoch() - EPOCH_START

    assert run_virtual(main) == 0.0
