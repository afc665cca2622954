"""The PostgreSQL ledger's schema, as numbered migrations debtkit applies itself.

`migrate` runs in one transaction under a transaction-scoped advisory lock, so workers that
start at once apply each migration exactly once (the others wait, then find it applied), and
a crash mid-migration leaves the previous version intact. Applied versions are rows of
``debtkit_schema``; a database already at a newer version than this debtkit knows is refused
rather than written with an older idea of the tables.

Tables:

- ``debtkit_imports``: one row per import id (provider, non-secret account key, total).
- ``debtkit_import_debts``: one row per input entry of an import: its canonical JSON, its
  outcome once final, and the claim (token, worker, lease) while a worker holds it.
- ``debtkit_sent``: the exactly-once table, one row per (provider, account, reference) ever
  sent, whatever import sent it; ``version`` is bumped at every change. Its key leads with
  the reference: looked up by (provider, account) alone it would be no index scan at all, so
  the planner cannot pick the quadratic plan (scan the account's rows per claimed debt) that
  it otherwise picks while its statistics still think the table empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from debtkit.errors import LedgerError

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

__all__ = ["LATEST_VERSION", "MIGRATIONS", "migrate"]

# pg_advisory_xact_lock key: "debtkit-ledger" folded into a bigint, constant across versions.
_LOCK_KEY = 0x6462_6B6C_6564_6772

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE debtkit_imports (
        import_id text PRIMARY KEY,
        provider text NOT NULL,
        account text NOT NULL,
        total integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE debtkit_import_debts (
        import_id text NOT NULL REFERENCES debtkit_imports ON DELETE CASCADE,
        position integer NOT NULL,
        line integer,
        reference text,
        content_hash text,
        debt text,
        outcome text,
        provider_id text,
        error text,
        error_type text,
        problems text,
        claim_token uuid,
        claimed_by text,
        lease_until timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (import_id, position)
    );
    CREATE INDEX debtkit_import_debts_pending
        ON debtkit_import_debts (import_id, position) WHERE outcome IS NULL;
    CREATE INDEX debtkit_import_debts_reference ON debtkit_import_debts (import_id, reference);
    CREATE TABLE debtkit_sent (
        provider text NOT NULL,
        account text NOT NULL,
        reference text NOT NULL,
        state text NOT NULL,
        content_hash text NOT NULL,
        provider_id text,
        import_id text,
        position integer,
        version integer NOT NULL DEFAULT 0,
        sent_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (reference, account, provider)
    );
    """,
)
LATEST_VERSION = len(MIGRATIONS)


async def migrate(connection: asyncpg.Connection | PoolConnectionProxy, name: str) -> int:
    """Bring the schema to `LATEST_VERSION`; the version found before. `name`: the redacted
    URL, for errors."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS debtkit_schema"
            " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        found = int(
            await connection.fetchval("SELECT coalesce(max(version), 0) FROM debtkit_schema")
        )
        if found > LATEST_VERSION:
            raise LedgerError(
                name,
                f"was written by a newer debtkit (schema {found}, this one knows up to"
                f" {LATEST_VERSION}); upgrade debtkit",
            )
        for version in range(found + 1, LATEST_VERSION + 1):
            await connection.execute(MIGRATIONS[version - 1])
            await connection.execute("INSERT INTO debtkit_schema (version) VALUES ($1)", version)
        return found
