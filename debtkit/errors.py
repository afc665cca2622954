"""The one error tree every debtkit call raises from.

`str()` of any error names where it happened (provider, method, path, status, request id) and
never contains credentials or debtor personal data: messages are built from paths and codes,
and provider-supplied text is kept on attributes, not in the summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "APIStatusError",
    "AmbiguousWriteError",
    "AuthenticationError",
    "BadRequestError",
    "BusinessRuleError",
    "ConfigurationError",
    "ConflictError",
    "ConnectionFailedError",
    "ConnectionNotMadeError",
    "CredentialsUnavailableError",
    "DebtkitError",
    "DuplicateError",
    "LedgerBusyError",
    "LedgerDamagedError",
    "LedgerError",
    "LedgerLostError",
    "MalformedResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "Problem",
    "ProtocolError",
    "RateLimitedError",
    "RedirectError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "ServerError",
    "TransportError",
    "UnknownProviderError",
    "UnsupportedFeatureError",
    "ValidationError",
    "WebhookSignatureError",
    "error_for_status",
]


@attrs.frozen
class Problem:
    """One thing wrong with one field: `path` like ``debtor.phone``, a stable `code`, a message."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message} [{self.code}]"


class DebtkitError(Exception):
    """Root of every error debtkit raises on purpose."""


class ConfigurationError(DebtkitError):
    """The SDK was set up wrongly: missing credentials, bad base URL, unknown option."""


class UnknownProviderError(ConfigurationError, LookupError):
    """No adapter is installed or registered under the requested name."""

    def __init__(self, name: str, available: Iterable[str]) -> None:
        self.name = name
        self.available = tuple(sorted(available))
        listed = ", ".join(self.available) or "none"
        super().__init__(f"no debtkit adapter named {name!r}; installed adapters: {listed}")


class ValidationError(DebtkitError, ValueError):
    """Local validation failed; `problems` lists every problem at once."""

    def __init__(self, problems: Sequence[Problem], *, subject: str = "debt") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = "; ".join(f"{_short(p.path) or '<root>'} [{p.code}]" for p in self.problems[:10])
        more = f"; and {count - 10} more" if count > 10 else ""
        super().__init__(f"invalid {subject}: {count} problem(s): {lines}{more}")


class UnsupportedFeatureError(DebtkitError, ValueError):
    """The provider cannot express something the caller asked for."""

    def __init__(self, provider: str, feature: str) -> None:
        self.provider = provider
        self.feature = feature
        super().__init__(f"{provider} does not support {feature}")


_TOKEN = re.compile(r"[A-Za-z0-9_.\[\]-]{1,64}")


def _token(text: object) -> str:
    """A provider-supplied name (field path, error type, request id) as shown in `str()`:
    identifier-like text only, so a server echoing a value (a phone, an email, a name with a
    space, a megabyte of text) into such a name cannot bring it into messages and logs."""
    shown = str(text)
    return shown if _TOKEN.fullmatch(shown) else "<unprintable>"


def _short(path: str) -> str:
    # Paths can hold the caller's own keys (metadata, options): a huge one is cut.
    return path if len(path) <= 100 else path[:100] + "..."


def _where(provider: str, method: str, path: str) -> str:
    # The query string can carry search terms (references, amounts): keep it out of messages.
    return f"{provider} {method.upper()} {path.split('?', 1)[0]}"


class TransportError(DebtkitError):
    """The request did not produce an HTTP response."""

    def __init__(self, provider: str, method: str, path: str, reason: str) -> None:
        self.provider = provider
        self.method = method.upper()
        self.path = path.split("?", 1)[0]
        self.reason = reason
        super().__init__(f"{_where(provider, method, path)}: {reason}")


class ConnectionFailedError(TransportError):
    """The connection could not be made or was reset."""

    #: Could the request have reached the server? False only when no connection was made.
    sent: bool = True


class ConnectionNotMadeError(ConnectionFailedError):
    """No connection was made (refused, DNS failure, unreachable host): the request never
    left, so it is not an ambiguous write and may be sent again without a lookup. A reset
    after the connection was made stays a plain `ConnectionFailedError` (it may have left)."""

    sent = False


class RequestTimeoutError(TransportError):
    """A per-phase timeout ran out before the response arrived."""


class ProtocolError(TransportError):
    """Something answered, but not with a readable HTTP response (not HTTP at all, or a body
    that could not be read or decoded)."""


class ResponseTooLargeError(TransportError):
    """The response body passed the transport's size limit; reading stopped there.

    A transport error on purpose: to a write, a 2xx that cannot be read whole is an ambiguous
    outcome (the provider may have acted), not a refusal. Sending again cannot help, so it is
    never retried.
    """

    def __init__(self, provider: str, method: str, path: str, *, limit: int, status: int) -> None:
        self.limit = limit
        self.status = status
        super().__init__(provider, method, path, f"HTTP {status} body exceeds {limit} bytes")


class RedirectError(TransportError):
    """The server answered with a redirect (3xx), which debtkit never follows: credentials
    would go with it, and no provider API documents one. It is a transport error because the
    provider itself did not answer: to a write, the outcome is unknown. Never retried.

    `location` is kept on the attribute only (it may name a foreign host)."""

    def __init__(
        self, provider: str, method: str, path: str, *, status: int, location: str | None
    ) -> None:
        self.status = status
        self.location = location
        super().__init__(provider, method, path, f"HTTP {status} redirect not followed")


class CredentialsUnavailableError(DebtkitError):
    """A request was not sent because its credentials could not be obtained: the token
    endpoint failed transiently (timeout, 5xx, 429) after its own retry schedule. Nothing
    reached the provider's API, so the outcome is not ambiguous; `cause` is the token
    endpoint's error."""

    def __init__(self, provider: str, method: str, path: str, cause: DebtkitError) -> None:
        self.provider = provider
        self.method = method.upper()
        self.path = path.split("?", 1)[0]
        self.cause = cause
        super().__init__(
            f"{_where(provider, method, path)}: not sent, credentials unavailable "
            f"({type(cause).__name__})"
        )


class APIStatusError(DebtkitError):
    """The provider answered with a non-2xx status."""

    default_status: int = 0

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        method: str,
        path: str,
        status: int,
        request_id: str | None = None,
        problems: Sequence[Problem] = (),
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.provider = provider
        self.method = method.upper()
        self.path = path.split("?", 1)[0]
        self.status = status
        self.request_id = request_id
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.body = body
        self.headers: Mapping[str, str] = dict(headers or {})
        super().__init__(self._summary())

    def _summary(self) -> str:
        rid = f" (request id {_token(self.request_id)})" if self.request_id else ""
        fields = ""
        if self.problems:
            fields = "; fields: " + ", ".join(sorted({_token(p.path) for p in self.problems}))
        return f"{_where(self.provider, self.method, self.path)} -> {self.status}{rid}{fields}"


class BadRequestError(APIStatusError):
    default_status = 400


class AuthenticationError(APIStatusError):
    default_status = 401


class PermissionDeniedError(APIStatusError):
    default_status = 403


class NotFoundError(APIStatusError):
    default_status = 404


class ConflictError(APIStatusError):
    default_status = 409


class DuplicateError(ConflictError):
    """The provider already holds a debt/case under this creditor reference.

    `reference` names it; `existing` is the case already held when debtkit could read it
    (``None`` if the lookup after the provider's refusal failed). Raised by the provider's
    refusal (`status` is the provider's) or, for providers that do not deduplicate, by
    debtkit's lookup before creating, which sends nothing (`status` 409).
    """

    def __init__(
        self,
        message: str,
        *,
        reference: str | None = None,
        existing: Any = None,
        **kwargs: Any,
    ) -> None:
        self.reference = reference
        self.existing = existing  # a debtkit.model.Case; Any keeps this module model-free
        super().__init__(message, **kwargs)


class BusinessRuleError(APIStatusError):
    """A valid request the provider refuses on business grounds (contracts, coverage, cost)."""

    default_status = 422

    def __init__(
        self,
        message: str,
        *,
        error_type: str | None = None,
        solution_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.error_type = error_type
        self.solution_url = solution_url
        super().__init__(message, **kwargs)

    def _summary(self) -> str:
        kind = f" {_token(self.error_type)}" if self.error_type else ""
        return super()._summary() + kind


class RateLimitedError(APIStatusError):
    default_status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    def _summary(self) -> str:
        wait = f" retry after {self.retry_after:g}s" if self.retry_after is not None else ""
        return super()._summary() + wait


class ServerError(APIStatusError):
    default_status = 500


class MalformedResponseError(DebtkitError):
    """The provider answered 2xx, but its body could not be read as the documented shape
    (not JSON, truncated, an empty body, wrong types, ``{"error": true}``, a missing id).

    After a write this is ambiguous: the request reached the provider and may have taken
    effect, so it is looked up before anything is sent again (`debtkit.exactly_once`). After
    a read it is a plain failure, never "nothing found". `reason` says what was wrong in
    debtkit's words; the body itself is kept on `body`, never in the message.
    """

    def __init__(
        self,
        provider: str,
        method: str,
        path: str,
        status: int,
        reason: str,
        *,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        self.provider = provider
        self.method = method.upper()
        self.path = path.split("?", 1)[0]
        self.status = status
        self.reason = reason
        self.request_id = request_id
        self.body = body
        rid = f" (request id {request_id})" if request_id else ""
        super().__init__(
            f"{_where(provider, method, path)} -> {status}{rid}: unreadable answer: {reason}"
        )


class AmbiguousWriteError(DebtkitError):
    """A write may or may not have taken effect and no lookup could settle it.

    `references` names the creditor references concerned; re-sending them could duplicate.
    """

    def __init__(self, provider: str, references: Sequence[str], reason: str) -> None:
        self.provider = provider
        self.references = tuple(references)
        self.reason = reason
        super().__init__(
            f"{provider}: outcome unknown for {len(self.references)} debt(s): {reason}"
        )


class WebhookSignatureError(DebtkitError):
    """A webhook delivery failed verification: missing, malformed or wrong signature, or a
    timestamp outside the tolerance. `reason` is a short code; the body is never included."""

    def __init__(self, provider: str, reason: str) -> None:
        self.provider = provider
        self.reason = reason
        super().__init__(f"{provider} webhook refused: {reason}")


class LedgerError(DebtkitError):
    """The import ledger (journal) cannot be used; `path` names its file. The message says
    what to do; nothing has been sent when it is raised on opening."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"ledger {path}: {message}")


class LedgerDamagedError(LedgerError):
    """The file is not a readable debtkit ledger (random bytes, another database, torn)."""


class LedgerBusyError(LedgerError):
    """Another process holds the ledger: two imports on one ledger would both send."""


class LedgerLostError(LedgerError):
    """An earlier run used this ledger but it is gone or empty: sending without it could
    duplicate every debt that run created. Rerun with the ledger-lost option to reconcile
    against the provider first."""


_STATUS_CLASSES: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BusinessRuleError,
    429: RateLimitedError,
}


def error_for_status(status: int) -> type[APIStatusError]:
    """The error class for an HTTP status: the single place this mapping lives."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return ServerError
    if 400 <= status < 500:
        return BadRequestError
    return APIStatusError
