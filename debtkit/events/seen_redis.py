"""A seen-store in Redis, shared by every replica of a webhook receiver.

One key per event id, ``<prefix><id>``: while a receiver hands the event on it holds
``c:<token>`` and expires after the claim's lease (Redis's own clock, so a crashed replica's
claim simply vanishes); once handled it holds ``done`` and expires after `retention`
seconds (30 days by default; None keeps it forever). Each decision is a small Lua script,
run atomically by the server, so of concurrent claims exactly one finds the key absent.
One key per script keeps it usable on a Redis Cluster. Requires the extra:
``pip install 'debtkit[redis]'``.

    async with RedisSeenStore("redis://cache.internal:6379/0") as seen:
        app = webhook_app(adapter, secret, on_event, seen=seen)
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from debtkit.errors import ConfigurationError
from debtkit.events.seen import (
    DEFAULT_RETENTION,
    Claim,
    ClaimOutcome,
    SeenStoreError,
    check_lease,
    check_retention,
    new_token,
    storage_key,
)
from debtkit.urls import redact_url, scrub, url_secrets

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisSeenStore"]

T = TypeVar("T")


def _text(answer: object) -> str:
    # Bytes by default; str from a caller's client made with decode_responses=True.
    return answer.decode() if isinstance(answer, bytes) else str(answer)


_CLAIM = """
local held = redis.call('GET', KEYS[1])
if not held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
elseif held == 'done' then
  return 'done'
end
return 'busy'
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""
_ADD = """
local held = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  redis.call('SET', KEYS[1], 'done')
else
  redis.call('SET', KEYS[1], 'done', 'EX', ARGV[1])
end
if held == 'done' then return 0 end
return 1
"""


def _redis() -> Any:
    """redis-py's package, with `redis.asyncio` loaded (its clients) and `RedisError`."""
    try:
        import redis.asyncio
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ConfigurationError(
            "a Redis seen-store needs redis-py: pip install 'debtkit[redis]'"
        ) from None
    return redis


class RedisSeenStore:
    """Event ids in Redis under `prefix`; implements `ClaimingSeenStore`. `redis` is a
    ``redis://`` URL (a client is opened and closed with the store) or the caller's own
    ``redis.asyncio.Redis`` (used as is, never closed). Errors are `SeenStoreError`, never
    naming a password."""

    def __init__(
        self,
        redis: str | Redis,
        *,
        prefix: str = "debtkit:seen:",
        retention: float | None = DEFAULT_RETENTION,
        connect_timeout: float = 10.0,
    ) -> None:
        check_retention(retention)
        if not isinstance(prefix, str):
            raise ConfigurationError("the seen-store prefix must be a string")
        if not isinstance(redis, str) and not hasattr(redis, "register_script"):
            raise ConfigurationError("a Redis seen-store needs a URL or a redis.asyncio client")
        if isinstance(redis, str):
            self._shown = redact_url(redis)
            self._secrets = url_secrets(redis)
            try:
                self._client: Redis = _redis().asyncio.Redis.from_url(
                    redis, socket_connect_timeout=connect_timeout, socket_timeout=connect_timeout
                )
            except ValueError:
                raise ConfigurationError(f"not a Redis URL: {self._shown}") from None
            self._owns_client = True
        else:
            self._shown, self._secrets, self._client = "<caller's client>", (), redis
            self._owns_client = False
        self.prefix = prefix
        self.retention = retention
        self._claim = self._client.register_script(_CLAIM)
        self._release = self._client.register_script(_RELEASE)
        self._add = self._client.register_script(_ADD)
        self._closed = False

    def __repr__(self) -> str:
        return f"RedisSeenStore({self._shown!r}, prefix={self.prefix!r})"

    async def _guarded(self, doing: str, work: Callable[[], Awaitable[T]]) -> T:
        if self._closed:
            raise SeenStoreError(self._shown, "the store is closed")
        errors = _redis().RedisError
        try:
            return await work()
        except (errors, OSError, asyncio.TimeoutError) as exc:
            reason = scrub(f"{doing}: {type(exc).__name__}: {exc}", self._secrets)
            raise SeenStoreError(self._shown, reason) from None

    async def open(self) -> RedisSeenStore:
        """Checks that the server answers, so a wrong URL fails at start, not per delivery."""
        await self._guarded("cannot connect", self._client.ping)
        return self

    async def close(self) -> None:
        if self._owns_client and not self._closed:
            self._closed = True
            closing = getattr(self._client, "aclose", None) or self._client.close
            await closing()

    async def __aenter__(self) -> RedisSeenStore:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _key(self, event_id: str) -> str:
        return self.prefix + storage_key(event_id)

    async def contains(self, event_id: str) -> bool:
        held = await self._guarded("cannot read", lambda: self._client.get(self._key(event_id)))
        return held is not None and _text(held) == "done"

    async def claim(self, event_id: str, lease: float) -> Claim:
        check_lease(lease)
        token = new_token()
        args = ["c:" + token, str(max(1, math.ceil(lease * 1000)))]
        answer = await self._guarded(
            "cannot claim", lambda: self._claim(keys=[self._key(event_id)], args=args)
        )
        outcome = ClaimOutcome(_text(answer))
        return Claim(event_id, outcome, token if outcome is ClaimOutcome.CLAIMED else "")

    async def release(self, claim: Claim) -> None:
        await self._guarded(
            "cannot release",
            lambda: self._release(keys=[self._key(claim.event_id)], args=["c:" + claim.token]),
        )

    async def add(self, event_id: str) -> bool:
        ttl = "0" if self.retention is None else str(math.ceil(self.retention))
        added = await self._guarded(
            "cannot mark handled", lambda: self._add(keys=[self._key(event_id)], args=[ttl])
        )
        return bool(added == 1)
