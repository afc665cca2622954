"""The aiohttp client core every adapter sends through.

One `Transport` per provider client: base URL, per-phase timeouts, exact-Decimal JSON,
`User-Agent: debtkit/<version>`, request ids, the adapter's error parser on every non-2xx, and
debug logging with secrets redacted. Budgets plug in as a `RequestGate` consulted around every
attempt; `send()` makes one attempt (plus one re-send after the auth renewed a rejected token)
and `request()` retries what its `RetryPolicy` allows.

Against a hostile or broken server: redirects are never followed (credentials would follow
them; a 3xx is a `RedirectError`), a body is read incrementally and refused past
`max_response_bytes` (`ResponseTooLargeError`), and every failure of the exchange becomes a
`TransportError` subclass, so nothing untyped escapes. Ids go into paths through
`path_segment`, which refuses what would change the path and escapes everything else.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import aiohttp
import attrs

from debtkit import jsonutil
from debtkit._version import __version__
from debtkit.errors import (
    APIStatusError,
    ConfigurationError,
    ConnectionFailedError,
    ConnectionNotMadeError,
    CredentialsUnavailableError,
    DebtkitError,
    MalformedResponseError,
    Problem,
    ProtocolError,
    RateLimitedError,
    RedirectError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
    ValidationError,
    error_for_status,
)
from debtkit.retry import RetryPolicy

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "Auth",
    "ErrorParser",
    "FilePart",
    "Request",
    "RequestGate",
    "Response",
    "Timeouts",
    "Transport",
    "default_error",
    "json_object",
    "path_segment",
    "redact_headers",
    "unreadable",
]

logger = logging.getLogger("debtkit.transport")

_SECRET_HINTS = ("authorization", "key", "token", "secret", "cookie", "password")
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-correlation-id", "x-amzn-requestid")
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024  # far above any documented answer (1,000 debts)
_CHUNK = 64 * 1024
_FORBIDDEN_IN_HEADERS = re.compile("[\r\n\0]")


def path_segment(value: object, *, name: str = "id") -> str:
    """`value` as exactly one URL path segment, for every id a call puts into a path.

    The empty string, ``.`` and ``..`` are refused (`ValidationError`, nothing is sent): the
    URL would otherwise address another resource (``debts/..`` is the API's root). Everything
    else is percent-escaped with no safe characters, ``/`` included. Letters, digits and
    hyphens (UUIDs, provider references) need no escaping and skip `quote`.
    """
    if isinstance(value, str) and value not in {"", ".", ".."}:
        if value.isascii() and value.replace("-", "").isalnum():
            return value
        try:
            return quote(value, safe="")
        except UnicodeError:  # a lone surrogate cannot be put into a URL
            pass
    problem = Problem(name, "not_addressable", "must be a non-empty string other than . and ..")
    raise ValidationError([problem], subject="request")


def unreadable(provider: str, response: Response, reason: str) -> MalformedResponseError:
    """The error for a 2xx whose body does not read as its documented shape."""
    return MalformedResponseError(
        provider,
        response.method,
        response.path,
        response.status,
        reason,
        request_id=response.request_id,
        body=response.body,
    )


def json_object(provider: str, response: Response) -> Mapping[str, Any]:
    """The body as a JSON object, or `MalformedResponseError` (empty, text, another value)."""
    body = response.body
    if body is None:
        raise unreadable(provider, response, "empty body")
    if isinstance(body, str):
        raise unreadable(provider, response, "body is not JSON")
    if not isinstance(body, Mapping):
        raise unreadable(provider, response, f"body is a JSON {type(body).__name__}, not an object")
    return body


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy safe to log: any header that can carry a credential is masked."""
    return {
        name: "***" if any(hint in name.lower() for hint in _SECRET_HINTS) else value
        for name, value in headers.items()
    }


# aiohttp 3.10 and later name a connect-phase timeout apart from a read timeout.
_CONNECT_TIMEOUT: tuple[type[BaseException], ...] = (
    (aiohttp.ConnectionTimeoutError,) if hasattr(aiohttp, "ConnectionTimeoutError") else ()
)


@attrs.frozen
class Timeouts:
    """Per-phase limits in seconds; `None` disables a phase."""

    total: float | None = 60.0
    connect: float | None = 10.0
    read: float | None = 30.0

    def to_aiohttp(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=self.total, connect=self.connect, sock_read=self.read)


Params = Mapping[str, "str | int | Sequence[str]"]


@attrs.frozen
class FilePart:
    """One file of a ``multipart/form-data`` body (its bytes never appear in a repr)."""

    filename: str
    content: bytes = attrs.field(repr=False)
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"FilePart({len(self.content)} bytes, {self.content_type})"


@attrs.frozen
class Request:
    """One HTTP request, described before it is sent.

    `request_class` names the budget it spends ("read", "write", or "auth", which no provider
    limit counts).
    """

    method: str
    path: str
    params: Params | None = None
    json: Any = None
    form: Mapping[str, str] | None = None
    # A multipart/form-data body: text fields and files, in order. Built afresh for every
    # attempt, since an aiohttp.FormData can be sent only once.
    multipart: Sequence[tuple[str, str | FilePart]] | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    request_class: str = "read"
    authenticated: bool = True
    # May this exact request be sent again after a failure without risking a duplicate?
    # Reads, PUT and DELETE are; a POST is only with an idempotency key the provider honours.
    retry_safe: bool = attrs.field()

    @retry_safe.default
    def _retry_safe_default(self) -> bool:
        return self.method.upper() != "POST"

    @property
    def is_write(self) -> bool:
        return self.method.upper() not in {"GET", "HEAD", "OPTIONS"}


@attrs.frozen
class Response:
    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON (fractions as Decimal), else the text, else None
    request_id: str | None
    elapsed: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Auth(Protocol):
    """How an adapter authenticates; implementations must redact secrets in `repr`."""

    async def headers(self, transport: Transport) -> Mapping[str, str]: ...

    async def renew(self, transport: Transport) -> bool:
        """Called once after a 401; True if fresh credentials are worth one more try."""
        ...


class RequestGate(Protocol):
    """The seam for rate budgets: wait before each attempt, learn from how each attempt ended.

    The transport awaits `before_attempt` before every attempt (so retries spend budget), then
    calls exactly one of `after_response` / `after_failure` for that attempt, in the same task.
    `after_failure` covers every way an attempt ends without a response: a timeout, a reset,
    cancellation.
    """

    async def before_attempt(self, request: Request) -> None: ...

    def after_response(self, request: Request, response: Response) -> None: ...

    def after_failure(self, request: Request, error: BaseException) -> None: ...


ErrorParser = Callable[[Response], APIStatusError]


def default_error(response: Response, provider: str = "provider") -> APIStatusError:
    body = response.body
    message = ""
    if isinstance(body, Mapping):
        message = str(body.get("message") or body.get("title") or body.get("error") or "")
    cls = error_for_status(response.status)
    return cls(
        message or f"HTTP {response.status}",
        provider=provider,
        method=response.method,
        path=response.path,
        status=response.status,
        request_id=response.request_id,
        body=body,
        headers=response.headers,
    )


class Transport:
    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        auth: Auth | None = None,
        error_parser: ErrorParser | None = None,
        session: aiohttp.ClientSession | None = None,
        timeouts: Timeouts | None = None,
        gate: RequestGate | None = None,
        retry: RetryPolicy | None = None,
        user_agent: str | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigurationError(f"base URL must be an absolute http(s) URL, got {base_url!r}")
        if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int):
            raise ConfigurationError("max_response_bytes must be an integer")
        if max_response_bytes < 1:
            raise ConfigurationError("max_response_bytes must be at least 1")
        self.max_response_bytes = max_response_bytes
        self.provider = provider
        self.base_url = base_url.rstrip("/") + "/"
        self.auth = auth
        self.gate = gate
        self.retry = retry or RetryPolicy()
        self._error_parser = error_parser or (lambda r: default_error(r, provider))
        self._session = session
        self._owns_session = session is None
        self._timeouts = timeouts or Timeouts()
        agent = f"debtkit/{__version__} aiohttp/{aiohttp.__version__}"
        self._user_agent = f"{agent} {user_agent}" if user_agent else agent
        self._headers = {"User-Agent": self._user_agent, "Accept": "application/json"}
        self._base_path = urlsplit(self.base_url).path

    def __repr__(self) -> str:
        return f"Transport(provider={self.provider!r}, base_url={self.base_url!r})"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def url(self, path: str) -> str:
        if "://" in path:
            return path
        return self.base_url + path.lstrip("/")

    def _path(self, path: str) -> str:
        """The URL path of a request, for messages and logs (no query, no host)."""
        if "://" in path:
            return urlsplit(path).path
        return self._base_path + path.lstrip("/").split("?", 1)[0]

    def session(self) -> aiohttp.ClientSession:
        # Created lazily so the transport can be built outside a running loop.
        if self._owns_session and self._session is not None and self._session._loop.is_closed():
            # Opened under an earlier asyncio.run(), whose loop is gone: it cannot be used or
            # closed from here, so it is dropped (its sockets went with that loop).
            _detach(self._session)
            self._session = None
        if self._session is None or (self._owns_session and self._session.closed):
            self._session = aiohttp.ClientSession(timeout=self._timeouts.to_aiohttp())
            self._owns_session = True
        return self._session

    async def aclose(self) -> None:
        """Close the session if debtkit opened it; a caller's session is left alone."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def request(self, request: Request) -> Response:
        """Send, retrying what the retry policy allows, and raise the adapter's typed error
        for a final non-2xx answer. Only `retry_safe` requests are ever re-sent."""
        attempt = 1
        while True:
            try:
                response = await self._send(request)
                if response.ok:
                    return response
                if 300 <= response.status < 400:
                    raise RedirectError(
                        self.provider,
                        response.method,
                        response.path,
                        status=response.status,
                        location=response.headers.get("Location"),
                    )
                raise self._error_parser(response)
            except _AuthFailed as failed:
                # The token grant already ran its own retry schedule: never nest another.
                raise failed.error from None
            except DebtkitError as error:
                if not (
                    request.retry_safe
                    and attempt < self.retry.attempts
                    and self.retry.is_retryable(error)
                ):
                    raise
                wait = self.retry.delay(attempt, error)
                logger.debug(
                    "%s: attempt %d failed (%s); retrying in %.2fs",
                    self.provider,
                    attempt,
                    type(error).__name__,
                    wait,
                )
                await asyncio.sleep(wait)
                attempt += 1

    async def send(self, request: Request) -> Response:
        """One attempt (re-sent once if the auth renews a rejected token); never raises for a
        status, raises `TransportError` subclasses when no response arrived."""
        try:
            return await self._send(request)
        except _AuthFailed as failed:
            raise failed.error from None

    async def _send(self, request: Request) -> Response:
        response = await self._attempt(request)
        if response.status == 401 and request.authenticated and self.auth is not None:
            try:
                renewed = await self.auth.renew(self)
            except DebtkitError as error:
                raise _AuthFailed.wrap(self.provider, request, error) from None
            if renewed:
                response = await self._attempt(request)
        return response

    async def _attempt(self, request: Request) -> Response:
        if self.gate is None:
            return await self._exchange(request)
        await self.gate.before_attempt(request)
        try:
            response = await self._exchange(request)
        except BaseException as exc:
            self.gate.after_failure(request, exc)
            raise
        self.gate.after_response(request, response)
        return response

    async def _exchange(self, request: Request) -> Response:
        headers = dict(self._headers)
        if request.authenticated and self.auth is not None:
            try:
                headers.update(await self.auth.headers(self))
            except DebtkitError as error:
                raise _AuthFailed.wrap(self.provider, request, error) from None
        headers.update(request.headers)
        for name, value in headers.items():
            if _FORBIDDEN_IN_HEADERS.search(value):
                # Typically a credential read with its trailing newline; the value is secret.
                raise ConfigurationError(f"header {name} holds a line break or NUL; not sent")
        data: str | Mapping[str, str] | aiohttp.FormData | None = None
        if request.json is not None:
            data = jsonutil.dumps(request.json)
            headers["Content-Type"] = "application/json"
        elif request.form is not None:
            data = dict(request.form)
        elif request.multipart is not None:
            data = _form_data(request.multipart)
        url = self.url(request.path)
        path = self._path(request.path)
        started = time.monotonic()
        method = request.method
        try:
            async with self.session().request(
                method,
                url,
                params=_query(request.params),
                data=data,
                headers=headers,
                allow_redirects=False,  # credentials must never follow a redirect
            ) as raw:
                content = await _read_body(raw, self.max_response_bytes)
                if content is None:
                    raise ResponseTooLargeError(
                        self.provider,
                        method,
                        path,
                        limit=self.max_response_bytes,
                        status=raw.status,
                    )
                response = _response(method, path, raw, content, started)
        except DebtkitError:
            raise
        # Every way an exchange can fail maps to a TransportError subclass: the order matters
        # (aiohttp's timeouts are connection errors too, redirect loops response errors).
        # The connect phase timed out (opening a connection, or waiting for a pooled one):
        # nothing was written, so it is not ambiguous. aiohttp < 3.10 raised a plain
        # ServerTimeoutError there, which stays ambiguous: the safe reading.
        except _CONNECT_TIMEOUT as exc:
            raise ConnectionNotMadeError(self.provider, method, path, type(exc).__name__) from None
        except asyncio.TimeoutError:
            raise RequestTimeoutError(self.provider, method, path, "timed out") from None
        # Refused, DNS, unreachable, or a URL aiohttp cannot use: nothing left.
        except (aiohttp.ClientConnectorError, aiohttp.InvalidURL) as exc:
            raise ConnectionNotMadeError(self.provider, method, path, type(exc).__name__) from None
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError) as exc:
            raise ConnectionFailedError(self.provider, method, path, type(exc).__name__) from None
        except aiohttp.ClientResponseError as exc:  # not HTTP, a bad header, a redirect loop
            raise ProtocolError(self.provider, method, path, type(exc).__name__) from None
        except aiohttp.ClientError as exc:
            raise TransportError(self.provider, method, path, type(exc).__name__) from None
        except Exception as exc:  # reading or decoding the answer failed in some other way
            reason = f"unreadable response ({type(exc).__name__})"
            raise ProtocolError(self.provider, method, path, reason) from None
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s %s -> %s in %.3fs (request id %s)",
                self.provider,
                request.method,
                path,
                response.status,
                response.elapsed,
                response.request_id,
            )
        return response


class _AuthFailed(Exception):
    """Carries a failure to obtain credentials out of an attempt, so that `request()` raises it
    instead of retrying: the token grant retried already, and nested schedules multiply."""

    def __init__(self, error: DebtkitError) -> None:
        super().__init__(str(error))
        self.error = error

    @classmethod
    def wrap(cls, provider: str, request: Request, error: DebtkitError) -> _AuthFailed:
        # A transient failure of the token endpoint is reported as such, named after the
        # request that was not sent (not ambiguous: nothing reached the API); the provider's
        # verdict on the credentials (401, 403, a malformed token answer) passes unchanged.
        if isinstance(error, (TransportError, ServerError, RateLimitedError)):
            error = CredentialsUnavailableError(provider, request.method, request.path, error)
        return cls(error)


def _detach(session: aiohttp.ClientSession) -> None:
    """Forget a session of a dead loop without aiohttp's "Unclosed client session" warning:
    closing it needs that loop, and its connections cannot outlive it anyway."""
    connector = session.connector
    if connector is not None:
        connector._close()  # with its loop closed, this only marks it closed
    session._connector = None


async def _read_body(raw: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The body, read chunk by chunk; None as soon as it passes `limit` bytes."""
    declared = raw.content_length
    if declared is not None and declared > limit:
        return None
    if declared is not None and raw.headers.get("Content-Encoding", "identity") == "identity":
        # The parser stops at the declared length (a shorter body is a payload error), so
        # it bounds the read: one read, without the chunk loop's copies. A compressed body
        # can inflate far past its declared length, so it goes through the loop.
        return await raw.read()
    body = bytearray()
    async for chunk in raw.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _form_data(fields: Sequence[tuple[str, str | FilePart]]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in fields:
        if isinstance(value, FilePart):
            form.add_field(
                name, value.content, filename=value.filename, content_type=value.content_type
            )
        else:
            form.add_field(name, value)
    return form


def _query(params: Params | None) -> list[tuple[str, str]] | None:
    if not params:
        return None
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            pairs.extend((name, str(v)) for v in value)
        else:
            pairs.append((name, str(value)))
    return pairs


def _response(
    method: str, path: str, raw: aiohttp.ClientResponse, content: bytes, started: float
) -> Response:
    headers = raw.headers  # an immutable view, kept as is
    body: Any = None
    if content:
        try:
            body = jsonutil.loads(content)
        except ValueError:
            body = _text(raw, content)
    request_id = next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)
    if request_id is None and isinstance(body, Mapping):
        trace = body.get("traceId") or body.get("request_id")
        request_id = str(trace) if trace else None
    return Response(
        method=method.upper(),
        path=path,
        status=raw.status,
        headers=headers,
        body=body,
        request_id=request_id,
        elapsed=time.monotonic() - started,
    )


def _text(raw: aiohttp.ClientResponse, content: bytes) -> str:
    # The declared charset, else UTF-8. Not `get_encoding()`: its guess needs a body read by
    # `read()`, and it raises for an unknown charset.
    try:
        return content.decode(raw.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return content.decode("utf-8", errors="replace")
