"""``debtkit listen --seen URL``: replicas sharing a PostgreSQL or Redis seen-store."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from debtkit.cli import main
from tests.core.test_cli_listen import BODY, SECRET, signed
from tests.core.test_seen_claims import fresh_database
from tests.core.test_seen_shared import closed_port
from tests.postgres_server import PASSWORD as PG_PASSWORD


@asynccontextmanager
async def listener(output: Path, *options: str, env: dict[str, str]) -> AsyncIterator[str]:
    """A ``debtkit listen`` process; its URL while it runs."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "debtkit", "listen", "--provider", "getbill", "--port", "0",
        "--secret-env", "GB_SECRET", "--output", str(output), *options,
        env={**os.environ, "GB_SECRET": SECRET, **env},
        stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        banner = (await asyncio.wait_for(process.stderr.readline(), 60)).decode()
        assert " at " in banner, banner
        yield banner.split(" at ", 1)[1].split(";", 1)[0]
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 60)
    assert process.returncode == 0


async def _post_to_each(urls: list[str]) -> list[int]:
    async with aiohttp.ClientSession() as session:

        async def post(url: str) -> int:
            async with session.post(url, data=BODY, headers=signed(BODY)) as response:
                return response.status

        return list(await asyncio.gather(*(post(url) for url in urls)))


async def test_two_listeners_sharing_postgres_from_the_environment_write_an_event_once(
    postgres_url: str, tmp_path: Path
) -> None:
    database = await fresh_database(postgres_url)
    outputs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    env = {"DEBTKIT_SEEN": database}  # the password stays off the command line
    async with listener(outputs[0], env=env) as first, listener(outputs[1], env=env) as second:
        statuses = await _post_to_each([first, second, first, second])
    lines = [line for path in outputs for line in path.read_text().splitlines()]
    assert [json.loads(line)["case_id"] for line in lines] == ["d1"]
    assert set(statuses) <= {200, 503}
    assert 200 in statuses


async def test_two_listeners_sharing_redis_write_an_event_once(
    redis_url: str, tmp_path: Path
) -> None:
    outputs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    env = {"DEBTKIT_SEEN": ""}
    options = ("--seen", redis_url)
    async with (
        listener(outputs[0], *options, env=env) as first,
        listener(outputs[1], *options, env=env) as second,
    ):
        await _post_to_each([first, second])
        await _post_to_each([second, first])
    lines = [line for path in outputs for line in path.read_text().splitlines()]
    assert len(lines) == 1


def test_listen_with_an_unreachable_seen_store_exits_2_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GB_SECRET", SECRET)
    url = f"postgresql://debtkit:{PG_PASSWORD}@127.0.0.1:{closed_port()}/{uuid.uuid4().hex}"
    monkeypatch.setenv("DEBTKIT_SEEN", url)
    code = main(["listen", "--provider", "getbill", "--port", "0", "--secret-env", "GB_SECRET"])
    err = capsys.readouterr().err
    assert code == 2
    assert "seen-store" in err
    assert PG_PASSWORD not in err


def test_listen_refuses_a_seen_url_of_another_kind(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GB_SECRET", SECRET)
    code = main(
        ["listen", "--provider", "getbill", "--secret-env", "GB_SECRET",
         "--seen", "mysql://root:hunter2@db/x"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "hunter2" not in err
