"""Checks of what a caller hands to an adapter's ``connect()``: credentials and the options
every adapter shares. A wrong type there would otherwise surface later, deep in the budget,
the transport or a header encoder, as an ``AttributeError``, ``TypeError`` or
``UnicodeEncodeError``; here it is a `ConfigurationError` naming the option. Messages name
options, never credential values.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import TypeGuard
from urllib.parse import urlsplit

import aiohttp

from debtkit.errors import ConfigurationError
from debtkit.plugin import RateLimit
from debtkit.retry import RetryPolicy
from debtkit.transport import Timeouts

__all__ = ["check_connect_options", "check_credentials", "check_header_text"]


def check_header_text(provider: str, name: str, value: object) -> None:
    """`value` can travel in an HTTP header: text, UTF-8-encodable, without control
    characters (a CR or LF would split the header; credentials and user agents go there)."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{provider}: {name} must be a string")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ConfigurationError(f"{provider}: {name} must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigurationError(f"{provider}: {name} must be text UTF-8 can encode") from None


def check_credentials(provider: str, credentials: object) -> Mapping[str, str]:
    """`credentials` as a mapping of names to header-safe strings, or `ConfigurationError`."""
    if not isinstance(credentials, Mapping):
        raise ConfigurationError(f"{provider}: credentials must be a mapping of names to strings")
    for name, value in credentials.items():
        if not isinstance(name, str):
            raise ConfigurationError(f"{provider}: credential names must be strings")
        check_header_text(provider, f"credential {name[:40]!r}", value)
    return credentials


def _finite(value: object) -> TypeGuard[float]:
    """A real number a float can hold: not a bool, NaN, an infinity or an int past 1e308."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _check_rate_overrides(provider: str, overrides: object) -> None:
    if overrides is None:
        return
    if not isinstance(overrides, Mapping):
        raise ConfigurationError(f"{provider}: rate_overrides must map limit names to limits")
    for name, value in overrides.items():
        if not isinstance(name, str):
            raise ConfigurationError(f"{provider}: rate_overrides keys must be limit names")
        if isinstance(value, RateLimit):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigurationError(
                f"{provider}: rate_overrides[{name[:40]!r}] must be a positive int or a RateLimit"
            )


def check_connect_options(
    provider: str,
    *,
    base_url: object = None,
    session: object = None,
    gate: object = None,
    retry: object = None,
    timeouts: object = None,
    relax: object = (),
    rate_overrides: object = None,
    time_scale: object = 1.0,
    extra_text: Mapping[str, object] | None = None,
    extra_callables: Mapping[str, object] | None = None,
    extra_numbers: Mapping[str, object] | None = None,
) -> None:
    """`ConfigurationError` for the first shared ``connect()`` option of the wrong type.

    `extra_text` are adapter-specific options that must be header-safe text when given,
    `extra_callables` callable (clocks), `extra_numbers` finite and not negative."""
    if base_url is not None:
        if not isinstance(base_url, str):
            raise ConfigurationError(f"{provider}: base_url must be a string")
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigurationError(f"{provider}: base_url must be an absolute http(s) URL")
    if session is not None and not isinstance(session, aiohttp.ClientSession):
        raise ConfigurationError(f"{provider}: session must be an aiohttp.ClientSession")
    if gate is not None and not all(
        callable(getattr(gate, name, None))
        for name in ("before_attempt", "after_response", "after_failure")
    ):
        raise ConfigurationError(f"{provider}: gate must be a RequestGate")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ConfigurationError(f"{provider}: retry must be a RetryPolicy")
    if timeouts is not None and not isinstance(timeouts, Timeouts):
        raise ConfigurationError(f"{provider}: timeouts must be a Timeouts")
    if isinstance(relax, str) or not isinstance(relax, Collection):
        raise ConfigurationError(f"{provider}: relax must be a collection of rule names")
    _check_rate_overrides(provider, rate_overrides)
    if not _finite(time_scale) or time_scale <= 0:
        raise ConfigurationError(f"{provider}: time_scale must be a positive number")
    for name, value in (extra_text or {}).items():
        if value is not None:
            check_header_text(provider, name, value)
    for name, value in (extra_callables or {}).items():
        if value is not None and not callable(value):
            raise ConfigurationError(f"{provider}: {name} must be callable")
    for name, value in (extra_numbers or {}).items():
        if value is not None and (not _finite(value) or value < 0):
            raise ConfigurationError(f"{provider}: {name} must be a finite, non-negative number")
