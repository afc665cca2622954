"""The PostgreSQL the tests start is real, reachable on loopback, and asks for a password."""

from __future__ import annotations

import asyncpg
import pytest


async def test_postgres_database_is_a_fresh_database_on_a_real_server(
    postgres_database: str,
) -> None:
    connection = await asyncpg.connect(postgres_database)
    try:
        version = await connection.fetchval("SHOW server_version")
        tables = await connection.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await connection.close()
    assert version
    assert tables == 0


async def test_postgres_server_refuses_a_wrong_password(postgres_url: str) -> None:
    wrong = postgres_url.replace(":s3cret-pg-password@", ":wrong@")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(wrong)
