"""The shared import ledger's interface: imports stored in a database, drained by many workers.

An *import* is a list of debts stored under an import id (each as its canonical JSON, so any
worker can send it; the file is read once, by whoever starts the import). Workers *claim*
up to a batch of its pending debts at once; a claim carries a random token and a lease that
the worker renews while it works. A worker that dies stops renewing; once its lease expires
another worker takes the debts over. Every write a worker makes about a claimed debt is
*fenced* by the claim's token: a worker whose claim was taken over changes nothing.

Exactly once rests on a second table, keyed by *account* and creditor reference: what was
ever sent under that reference to that provider account (``sending``, ``created``,
``ambiguous``, ``rejected``, ``queued``), whatever import sent it. Before sending, a worker
records ``sending`` there; a debt whose reference is ``created`` is ALREADY_CREATED (or
CHANGED if its content differs), one that is ``sending``/``ambiguous`` is looked up at the
provider first, exactly like a rerun of the SQLite importer does.

The account key is the provider's name, the base URL the client talks to, and a one-way
fingerprint of the credentials (`debtkit.budget.credential_fingerprint`): two creditors on
different accounts may share invoice numbers, and each provider account deduplicates (or,
like GetBill, does not) on its own. Keying on the base URL as well keeps a simulator's or a
sandbox's references apart from production's under the same key. A re-issued credential for
the same account gets another key: then, as with a lost ledger, reconcile first.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterable, Mapping, Sequence
from typing import Protocol

import attrs

from debtkit.budget import credential_fingerprint
from debtkit.errors import Problem

__all__ = [
    "Account",
    "Claim",
    "ImportInfo",
    "ImportProgress",
    "LoadedDebt",
    "SentState",
    "Settlement",
    "SharedLedger",
    "account_key",
]


class SentState(str, enum.Enum):
    """What an account knows about a reference (the exactly-once table)."""

    QUEUED = "queued"  # a request was prepared but nothing left: safe to send
    SENDING = "sending"  # a request may have left: look it up before sending again
    CREATED = "created"
    REJECTED = "rejected"  # the provider refused it: safe to send again
    AMBIGUOUS = "ambiguous"  # sent, outcome unknown: look it up before sending again


@attrs.frozen
class Account:
    """A provider account: `key` is non-secret (see `account_key`)."""

    provider: str
    key: str


def account_key(provider: str, base_url: str, credentials: Mapping[str, str] | str) -> str:
    """The non-secret key of a provider account: base URL plus credential fingerprint."""
    return f"{base_url.rstrip('/')}#{credential_fingerprint(provider, credentials)}"


@attrs.frozen
class LoadedDebt:
    """One input entry as stored: `outcome` set for entries final on load (invalid)."""

    position: int  # 0-based index in the input
    line: int | None
    reference: str | None
    debt_json: str | None  # canonical JSON of the checked debt
    content_hash: str | None
    outcome: str | None = None  # an `Outcome` value when final already
    problems: tuple[Problem, ...] = ()


@attrs.frozen
class ImportInfo:
    import_id: str
    account: Account
    total: int


@attrs.frozen
class Claim:
    """A claimed debt, with what the account knows about its reference."""

    position: int
    line: int | None
    reference: str
    debt_json: str
    content_hash: str
    sent_state: SentState | None  # None: this account never saw the reference
    sent_hash: str | None  # content hash of what was sent under it
    sent_provider_id: str | None
    sent_at: float | None  # epoch seconds when it was marked sending
    sent_version: int | None  # bumped at each ``sending``: fences `mark_sending`
    busy: bool  # another import's live claim is sending this reference: try later


@attrs.frozen
class Settlement:
    """A claimed debt's final outcome for this import, and the account's new state."""

    position: int
    outcome: str  # an `Outcome` value
    sent_state: SentState | None  # None: leave the account's row alone
    provider_id: str | None = None
    error: str | None = None
    error_type: str | None = None
    problems: tuple[Problem, ...] = ()


@attrs.frozen
class ImportProgress:
    pending: int  # not final: claimable or claimed
    claimed_live: int  # claimed under a lease that has not expired
    seconds_to_next_expiry: float | None  # of the live leases


class SharedLedger(Protocol):
    """A ledger many workers can share. An async context manager; `url` is redacted."""

    url: str

    async def __aenter__(self) -> SharedLedger: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def start_import(
        self, import_id: str, account: Account, entries: AsyncIterable[LoadedDebt]
    ) -> ImportInfo:
        """Store a new import's entries (atomically), or resume an existing one: then
        `entries` is not read, and debts that ended not created (rejected, ambiguous, not
        sent) become pending again. `ConfigurationError` if it exists for another account."""
        ...

    async def import_info(self, import_id: str) -> ImportInfo:
        """`LedgerError` if no such import."""
        ...

    async def claim(
        self, import_id: str, worker: str, limit: int, lease: float
    ) -> tuple[str, list[Claim]]:
        """Claim up to `limit` pending debts (unclaimed or with an expired lease); the token."""
        ...

    async def renew(self, import_id: str, token: str, lease: float) -> int:
        """Extend a claim's lease; the number of debts still held under it."""
        ...

    async def mark_sending(self, import_id: str, token: str, claims: Sequence[Claim]) -> set[int]:
        """Record ``sending`` for these references, fenced: the positions that may be sent.
        A reference whose account row changed since it was claimed (another worker marked it
        sending, or it was created) is left out: release it and claim it again later."""
        ...

    async def settle(
        self, import_id: str, token: str, settlements: Sequence[Settlement]
    ) -> set[int]:
        """Record outcomes in one transaction, fenced by `token`; the positions recorded."""
        ...

    async def release(self, import_id: str, token: str, positions: Sequence[int]) -> None:
        """Give claimed debts back unchanged (e.g. a busy reference), for later."""
        ...

    async def progress(self, import_id: str) -> ImportProgress: ...

    async def counts(self, import_id: str) -> dict[str, int]:
        """Debts per state: each `Outcome` value, plus ``pending`` and ``claimed``."""
        ...
