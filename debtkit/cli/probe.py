"""Fail fast on what no retry can fix: wrong credentials, a refused credential, a wrong base
URL, a server that cannot be reached.

Before an import, one neutral read: the first page of the provider's case list
(``client.cases()``, stopped after its first case). Every `ProviderClient` has it, it changes
nothing, and it costs one read of the provider's budget (GetBill: one ``read``; Debitura: one
request of the ``minute``/``hour``/``day`` limits). It is chosen over ``find()`` of a reference
that cannot exist because a 404 there means "no such debt" (Debitura), whereas a 404 on the
collection itself can only mean a wrong base URL.

During the import, a debt whose result is one of the same verdicts (401, 403, or 404 on the
create endpoint) stops the run: the next debts would meet the same answer. The ledger keeps
what happened, so a rerun resumes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from debtkit.bulk import BulkResult
from debtkit.errors import (
    AuthenticationError,
    ConfigurationError,
    CredentialsUnavailableError,
    DebtkitError,
    NotFoundError,
    PermissionDeniedError,
)
from debtkit.exactly_once import was_sent
from debtkit.plugin import Adapter

__all__ = ["close", "fatal_result", "probe"]

_HINTS = {
    "AuthenticationError": "the credentials were refused (401): check them",
    "PermissionDeniedError": "these credentials are not allowed to do this (403): check their "
    "scope or the account",
    "NotFoundError": "the API is not at this base URL (404): check --base-url",
}


def _message(provider: str, kind: str, where: str) -> str:
    return f"{provider}: {_HINTS[kind]} ({where})"


async def probe(adapter: Adapter, options: Mapping[str, Any]) -> None:
    """Read the first page of cases; raise `ConfigurationError` with one clear line if the
    answer shows that no debt could be created. Other failures are left to the import."""
    async with adapter.connect(**options) as client:
        transport = getattr(client, "transport", None)
        base_url = str(getattr(transport, "base_url", options.get("base_url") or adapter.name))
        try:
            cases = client.cases()
            try:
                async for _case in cases:
                    break  # the first page answered: enough
            finally:
                await close(cases)
        except (AuthenticationError, PermissionDeniedError, NotFoundError) as error:
            where = f"{error.method} {error.path} answered {error.status}"
            raise ConfigurationError(
                _message(adapter.name, type(error).__name__, where) + "; nothing was sent"
            ) from None
        except DebtkitError as error:
            unreached = error.cause if isinstance(error, CredentialsUnavailableError) else error
            if not was_sent(unreached):
                raise ConfigurationError(
                    f"{adapter.name}: cannot reach {base_url} ({type(unreached).__name__}: "
                    f"{getattr(unreached, 'reason', 'no connection')}); nothing was sent"
                ) from None
            # Not conclusive (a 5xx, a timeout): the import's own retries deal with it.
            print(f"probe: reading the case list failed ({type(error).__name__}); importing")


async def close(iterator: object) -> None:
    """Close an async generator left early (its `finally` blocks run now, not at GC)."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


def fatal_result(provider: str, result: BulkResult) -> str | None:
    """The message that stops an import, if this debt's result is a verdict on the whole
    account (401, 403) or endpoint (404 on the create itself), else None."""
    kind = result.error_type or ""
    if kind not in _HINTS:
        return None
    error = result.error or ""
    if kind == "NotFoundError" and " POST " not in error:
        return None  # a 404 of a lookup says "no such debt", not "no such endpoint"
    return _message(provider, kind, error) + (
        "; stopped before sending more debts: fix it and rerun with the same ledger to resume"
    )
