"""``debtkit listen``: verified, new events as JSON lines."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from debtkit_getbill import GetBillAdapter

from debtkit.cli import main
from debtkit.cli.listen import serve
from debtkit.events import MemorySeenStore

SECRET = "cli-listen-secret"
BODY = json.dumps(
    {"type": "debt.created", "data": {"id": "d1", "status": "status.default.pending"}}
).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-GetBill-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


async def test_serve_writes_each_verified_new_event_once() -> None:
    output = io.StringIO()
    stop = asyncio.Event()
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(
            GetBillAdapter(),
            SECRET,
            output=output,
            seen=MemorySeenStore(),
            port=0,
            path="/hooks",
            on_ready=ready.set_result,
            stop=stop,
        )
    )
    url = await asyncio.wait_for(ready, 30)
    async with aiohttp.ClientSession() as session:
        statuses = []
        for headers in (signed(BODY), signed(BODY), signed(BODY, "wrong")):
            async with session.post(url, data=BODY, headers=headers) as response:
                statuses.append(response.status)
    stop.set()
    await task
    assert statuses == [200, 200, 401]
    (line,) = output.getvalue().splitlines()
    event = json.loads(line)
    assert (event["event_type"], event["case_id"], event["new_status"]) == (
        "created", "d1", "pending",
    )  # fmt: skip
    assert SECRET not in output.getvalue()


def test_listen_without_the_secret_variable_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DEBTKIT_TEST_NO_SUCH_SECRET", raising=False)
    code = main(["listen", "--provider", "getbill", "--secret-env", "DEBTKIT_TEST_NO_SUCH_SECRET"])
    assert code == 2
    assert "DEBTKIT_TEST_NO_SUCH_SECRET" in capsys.readouterr().err


async def test_listen_command_appends_events_to_the_output_file(tmp_path: Path) -> None:
    output = tmp_path / "events.jsonl"
    env = {**os.environ, "GB_SECRET": SECRET}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "debtkit", "listen", "--provider", "getbill", "--port", "0",
        "--secret-env", "GB_SECRET", "--output", str(output), "--seen", str(tmp_path / "seen.db"),
        env=env, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        banner = (await asyncio.wait_for(process.stderr.readline(), 60)).decode()
        url = banner.split(" at ", 1)[1].split(";", 1)[0]
        async with aiohttp.ClientSession() as session:
            for _ in range(2):
                async with session.post(url, data=BODY, headers=signed(BODY)) as response:
                    assert response.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 60)
    assert process.returncode == 0
    lines = output.read_text().splitlines()
    assert [json.loads(line)["case_id"] for line in lines] == ["d1"]
