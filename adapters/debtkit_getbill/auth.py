"""OAuth 2.0 client credentials for GetBill, implementing the core `Auth` protocol.

``POST {origin}/token`` with a form body (grant_type=client_credentials, client_id,
client_secret, scope), as the docs show; no HTTP Basic. The token is cached and renewed
shortly before ``expires_in`` runs out (a tenth of its lifetime, at most `renew_margin`
seconds early), and once after a 401.

Concurrency: every caller that needs a token while one is being fetched waits for that same
fetch, which runs shielded in its own task, so a cancelled caller neither cancels it nor
leaves a half-set token behind. After a 401, a caller whose token has already been replaced
by someone else's renewal just retries with the new one: a burst of 401s costs one renewal.

Lifetime rule: RFC 6749 makes ``expires_in`` optional, and GetBill documents no other. A token
whose ``expires_in`` is absent, zero, negative or not a finite number has an unknown lifetime:
it is used until the API rejects it (a 401 renews it once, as for any token), never refetched
per request, which a lifetime of 0 would otherwise mean.

A token grant runs the transport's retry schedule once; when it still fails transiently, the
request that needed it is not sent and fails with `CredentialsUnavailableError`, without
retrying the grant again (`debtkit.transport`).

A ready access token may be given instead of (or besides) the client credentials; alone,
it cannot be renewed and `renew()` returns False. Whether GetBill issues refresh tokens for
client credentials is undocumented; a new client-credentials grant is used instead.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import cattrs

from debtkit import AuthenticationError, ConfigurationError
from debtkit.transport import Request, Response, Transport
from debtkit_getbill.options import PROVIDER

__all__ = ["DEFAULT_SCOPE", "GetBillAuth"]

DEFAULT_SCOPE = "debts:read debts:write"

logger = logging.getLogger("debtkit.getbill")


@attrs.frozen
class _TokenResponse:
    access_token: str
    token_type: str = "Bearer"
    expires_in: float | None = None
    scope: str | None = None


@attrs.frozen(repr=False)
class _Token:
    value: str
    renew_at: float | None  # clock reading after which it is renewed before use

    def __repr__(self) -> str:
        return "_Token(***)"


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("must be a non-empty string")
    return value


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool):
        raise TypeError("must be a number")
    return float(value)  # type: ignore[arg-type]


_converter = cattrs.Converter()
_converter.register_structure_hook(str, _structure_str)
_converter.register_structure_hook(float, _structure_float)


class GetBillAuth:
    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        access_token: str | None = None,
        scope: str = DEFAULT_SCOPE,
        token_url: str | None = None,
        renew_margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not access_token and not (client_id and client_secret):
            raise ConfigurationError(
                "GetBillAuth needs client_id and client_secret, or access_token"
            )
        self._client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.token_url = token_url  # None: the transport's origin + "/token"
        self._margin = renew_margin
        self._clock = clock
        self._token = _Token(access_token, None) if access_token else None
        self._pending: asyncio.Task[_Token] | None = None
        # The token each task last sent, to tell a stale 401 from a fresh one.
        self._sent: weakref.WeakKeyDictionary[asyncio.Task[Any], str] = weakref.WeakKeyDictionary()
        self.grants = 0  # token requests made, for observability

    def __repr__(self) -> str:
        kind = "client_credentials" if self.can_renew else "access_token"
        return f"GetBillAuth({kind}, client_id=***, client_secret=***, token=***)"

    @property
    def can_renew(self) -> bool:
        return bool(self._client_id and self._client_secret)

    def with_scope(self, scope: str) -> GetBillAuth:
        """Another token cache for the same OAuth client, asking for `scope`."""
        return GetBillAuth(
            client_id=self._client_id,
            client_secret=self._client_secret,
            scope=scope,
            token_url=self.token_url,
            renew_margin=self._margin,
            clock=self._clock,
        )

    async def headers(self, transport: Transport) -> Mapping[str, str]:
        token = self._token
        if token is None or (
            self.can_renew and token.renew_at is not None and self._clock() >= token.renew_at
        ):
            token = await self._fetch(transport)
        task = asyncio.current_task()
        if task is not None:
            self._sent[task] = token.value
        return {"Authorization": f"Bearer {token.value}"}

    async def renew(self, transport: Transport) -> bool:
        """After a 401: get a new token unless another caller already did."""
        if not self.can_renew:
            return False
        task = asyncio.current_task()
        sent = self._sent.get(task) if task is not None else None
        current = self._token
        if self._pending is None and current is not None and sent and current.value != sent:
            return True
        if self._pending is None and current is not None and current.value == sent:
            self._token = None  # rejected: never hand it out again
        await self._fetch(transport)
        return True

    async def _fetch(self, transport: Transport) -> _Token:
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._grant(transport))
            self._pending.add_done_callback(self._settled)
        return await asyncio.shield(self._pending)

    def _settled(self, task: asyncio.Task[_Token]) -> None:
        if self._pending is task:
            self._pending = None
        if not task.cancelled():
            task.exception()  # retrieved here too, in case every waiter was cancelled

    def _url(self, transport: Transport) -> str:
        return self.token_url or f"{transport.origin}/token"

    async def _grant(self, transport: Transport) -> _Token:
        self.grants += 1
        logger.debug("%s: requesting an access token", PROVIDER)
        request = Request(
            "POST",
            self._url(transport),
            form={
                "grant_type": "client_credentials",
                "client_id": self._client_id or "",
                "client_secret": self._client_secret or "",
                "scope": self.scope,
            },
            request_class="auth",
            authenticated=False,
            retry_safe=True,  # a second grant is harmless
        )
        response = await transport.request(request)
        token = self._token_from(response)
        self._token = token
        return token

    def _token_from(self, response: Response) -> _Token:
        try:
            body = _converter.structure(response.body, _TokenResponse)
        except Exception:
            body = None
        if body is None or body.token_type.lower() != "bearer":
            raise AuthenticationError(
                "token endpoint answered without a bearer access_token",
                provider=PROVIDER,
                method=response.method,
                path=response.path,
                status=response.status,
                request_id=response.request_id,
            )
        renew_at = None  # unknown lifetime: used until a 401 (the module's lifetime rule)
        lifetime = body.expires_in
        if lifetime is not None and 0 < lifetime < math.inf:
            early = min(self._margin, lifetime / 10)
            renew_at = self._clock() + lifetime - early
        return _Token(body.access_token, renew_at)
