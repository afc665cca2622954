"""Connection URLs (``postgresql://``, ``redis://``) as they may be shown: without a password.

Every repr, log line and error that names a database or Redis server goes through
`redact_url`, so a password given in a URL never leaves the process. yarl (aiohttp's URL
type) parses; a URL it cannot parse is not echoed at all, since it might hold a secret in a
place the parser did not recognise.
"""

from __future__ import annotations

from urllib.parse import unquote

from yarl import URL

__all__ = ["redact_url", "scrub", "url_secrets"]

_UNREADABLE = "<unreadable URL>"


def redact_url(url: str) -> str:
    """`url` with its password (and any query string, which may carry one) replaced."""
    try:
        parsed = URL(url)
        if not parsed.scheme:
            return _UNREADABLE
        if parsed.password is not None:
            parsed = parsed.with_password("***")
        if parsed.query_string:
            parsed = parsed.with_query({key: "***" for key in parsed.query})
        return str(parsed)
    except (ValueError, TypeError):
        return _UNREADABLE


def url_secrets(url: str) -> tuple[str, ...]:
    """The password in `url` as written and as decoded: what `scrub` hides from a driver's
    message (drivers may echo either form)."""
    try:
        password = URL(url).raw_password
    except (ValueError, TypeError):
        return ()
    return tuple({password, unquote(password)}) if password else ()


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every one of `secrets` replaced, for errors built from a driver's message."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
