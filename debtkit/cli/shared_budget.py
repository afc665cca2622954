"""``--budget redis://...``: one rate budget for every process sending with one credential.

Several ``debtkit import`` (or ``debtkit worker``) processes, on one host or many, that send
with the same credential must share the provider's limits: each alone would use all of them,
and together they would be answered 429. With ``--budget`` (or ``$DEBTKIT_BUDGET``) every
process keeps its books in that Redis (`debtkit.budget.redis_books`), so together they stay
within the limits and use all of them.

Redis is checked with one PING before anything is sent: an unreachable, refusing or
misspelt server is one line and exit 2, never a half-run import. The URL is shown only
through `debtkit.urls.redact_url`, and a password is cut out of any message quoted from the
Redis client, so it never reaches the terminal or a log.

Redis connections belong to the event loop that opened them, and the CLI runs a few loops in
turn (probe, preflight, import); `shared_gate` therefore opens a budget per loop, all on the
same books in Redis.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from yarl import URL

from debtkit.budget.redis_books import shared_budget_for_adapter
from debtkit.errors import ConfigurationError
from debtkit.plugin import Adapter
from debtkit.urls import redact_url

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "add_argument",
    "budget_url",
    "check_reachable",
    "run_shared",
    "shared_gate",
]

T = TypeVar("T")

ENVIRONMENT_VARIABLE = "DEBTKIT_BUDGET"
_SCHEMES = ("redis", "rediss", "unix")
_CHECK_TIMEOUT = 10.0  # seconds for the PING: a bound for a hang, not a speed goal


def add_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--budget",
        metavar="URL",
        help="share the provider's rate budget with every other process sending with this"
        " credential, through this Redis (redis://[:PASSWORD@]HOST:PORT/DB; default:"
        f" ${ENVIRONMENT_VARIABLE}; without either, the budget is this process's own)",
    )


def budget_url(args: argparse.Namespace) -> str | None:
    """The Redis URL of the shared budget: ``--budget``, else the environment, else None."""
    given = getattr(args, "budget", None) or os.environ.get(ENVIRONMENT_VARIABLE)
    return given or None


def _secret_free(text: str, url: str) -> str:
    try:
        password = URL(url).password
    except (ValueError, TypeError):
        return "unreadable"
    return text.replace(password, "***") if password else text


async def check_reachable(url: str) -> None:
    """One PING; `ConfigurationError` in one line (password cut out) if it gets no PONG."""
    shown = redact_url(url)
    try:
        scheme = URL(url).scheme
    except (ValueError, TypeError):
        scheme = ""
    if scheme not in _SCHEMES:
        raise ConfigurationError(
            f"--budget takes a Redis URL (redis://, rediss:// or unix://), got {shown}"
        )
    try:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError
    except ImportError:
        raise ConfigurationError("--budget needs redis-py: pip install 'debtkit[redis]'") from None
    try:
        client = Redis.from_url(
            url, socket_connect_timeout=_CHECK_TIMEOUT, socket_timeout=_CHECK_TIMEOUT
        )
    except (ValueError, TypeError):
        raise ConfigurationError(f"--budget: cannot read the Redis URL {shown}") from None
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        reason = _secret_free(str(error), url) or type(error).__name__
        raise ConfigurationError(
            f"the shared budget's Redis at {shown} cannot be used ({type(error).__name__}:"
            f" {reason}); nothing was sent"
        ) from None
    finally:
        await client.aclose()


@asynccontextmanager
async def shared_gate(
    adapter: Adapter, options: Mapping[str, Any], url: str | None
) -> AsyncIterator[dict[str, Any]]:
    """`connect()` options whose gate is the shared budget at `url` (the same options when
    `url` is None), shaped by their ``rate_overrides`` and ``time_scale``; closed on exit."""
    if url is None:
        yield dict(options)
        return
    budget = shared_budget_for_adapter(
        url,
        adapter,
        options["credentials"],
        overrides=options.get("rate_overrides"),
        time_scale=options.get("time_scale", 1.0),
    )
    try:
        yield {**options, "gate": budget}
    finally:
        await budget.aclose()


async def run_shared(
    url: str | None,
    adapter: Adapter,
    options: Mapping[str, Any],
    call: Callable[[dict[str, Any]], Awaitable[T]],
) -> T:
    """``await call(options)``, the options carrying the shared budget at `url` if any."""
    async with shared_gate(adapter, options, url) as shared:
        return await call(shared)
