from __future__ import annotations

import pytest

from debtkit import (
    AmbiguousWriteError,
    BadRequestError,
    ConnectionFailedError,
    RateLimitedError,
    ServerError,
)
from debtkit.errors import DebtkitError
from debtkit.exactly_once import create_exactly_once
from debtkit.retry import RetryPolicy

POLICY = RetryPolicy(attempts=3, base=0.0, cap=0.0)


class Provider:
    """Scripted outcomes per attempt: 'ok', 'lost' (stored, then an error), or an error."""

    def __init__(self, script: list[object], *, lookup_fails: bool = False) -> None:
        self.script = script
        self.stored: list[str] = []
        self.sends = 0
        self.lookups = 0
        self.lookup_fails = lookup_fails

    async def send(self) -> str:
        self.sends += 1
        step = self.script.pop(0)
        if step == "ok":
            self.stored.append("case")
            return "case"
        if step == "lost":
            self.stored.append("case")
            raise ConnectionFailedError("p", "POST", "/debts", "ServerDisconnectedError")
        assert isinstance(step, DebtkitError)
        raise step

    async def look_up(self) -> list[str]:
        self.lookups += 1
        if self.lookup_fails:
            raise ServerError("down", provider="p", method="GET", path="/debts", status=503)
        return list(self.stored)


async def create(provider: Provider) -> str:
    return await create_exactly_once(
        provider.send,
        provider.look_up,
        lambda found: found[0] if found else None,
        provider="p",
        references=["R-1"],
        retry=POLICY,
        sleep=_no_sleep,
    )


async def _no_sleep(_: float) -> None:
    return None


def server_error() -> ServerError:
    return ServerError("boom", provider="p", method="POST", path="/debts", status=500)


async def test_lost_response_is_found_by_lookup_and_not_resent() -> None:
    provider = Provider(["lost"])
    assert await create(provider) == "case"
    assert (provider.sends, provider.stored) == (1, ["case"])


async def test_failure_before_commit_is_resent_after_a_lookup_finds_nothing() -> None:
    provider = Provider([server_error(), "ok"])
    assert await create(provider) == "case"
    assert (provider.sends, provider.lookups, len(provider.stored)) == (2, 1, 1)


async def test_lookup_failure_raises_an_explicit_ambiguous_error() -> None:
    provider = Provider(["lost"], lookup_fails=True)
    with pytest.raises(AmbiguousWriteError) as caught:
        await create(provider)
    assert caught.value.references == ("R-1",)
    assert provider.sends == 1


async def test_rate_limit_is_waited_out_without_a_lookup() -> None:
    limited = RateLimitedError(
        "slow", retry_after=0.0, provider="p", method="POST", path="/debts", status=429
    )
    provider = Provider([limited, "ok"])
    assert await create(provider) == "case"
    assert provider.lookups == 0


async def test_client_error_is_final_and_never_resent() -> None:
    provider = Provider(
        [BadRequestError("bad", provider="p", method="POST", path="/debts", status=400)]
    )
    with pytest.raises(BadRequestError):
        await create(provider)
    assert provider.sends == 1


async def test_confirmed_absence_after_the_last_attempt_raises_the_last_error() -> None:
    provider = Provider([server_error(), server_error(), server_error()])
    with pytest.raises(ServerError):
        await create(provider)
    assert (provider.sends, provider.lookups, provider.stored) == (3, 3, [])
