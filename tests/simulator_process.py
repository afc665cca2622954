"""A provider simulator in a process of its own, with faults and limits, that reports what it
holds: for tests whose clients are other processes (fleets of CLI workers, arq).

``python -m tests.simulator_process PROVIDER '{"time_scale": 3600, "faults": {...}}'`` prints
one JSON line (base URL, credentials) once it listens; then each line ``report`` on its
standard input is answered with one JSON line of the simulator's own records (each stored
creditor reference with its count, the 429s it answered, the requests it logged and when
the first and last admitted one arrived, the faults it served); end of input stops it.
`SimulatorProcess` runs it as an async context manager.

Settings: ``time_scale``; ``faults`` (the fields of `debtkit.simulator.Faults`); GetBill's
``write_limit``/``read_limit`` (per documented hour, before compression); Debitura's
``limits`` (``[[name, count, seconds, "sliding"|"fixed"], ...]``, before compression).
"""

from __future__ import annotations

import asyncio
import collections
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from debtkit import RateLimit, load_adapter
from debtkit.simulator import CREDENTIALS, Faults, SimulatorServer

ROOT = Path(__file__).resolve().parent.parent
STARTUP_BOUND = 120.0  # seconds: a bound for a hang on a loaded machine, not a speed goal


def app_options(provider: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"time_scale": float(settings.get("time_scale", 1.0))}
    if settings.get("faults"):
        options["faults"] = Faults(**settings["faults"])
    if provider == "getbill":
        for name in ("write_limit", "read_limit"):
            if name in settings:
                options[name] = int(settings[name])
    elif settings.get("limits"):
        options["limits"] = tuple(
            RateLimit(name, int(count), float(seconds), kind)
            for name, count, seconds, kind in settings["limits"]
        )
    return options


def records(provider: str, app: Any, faults: Faults | None) -> dict[str, Any]:
    """What the simulator holds and answered, read from its own state."""
    if provider == "getbill":
        from debtkit_getbill.simulator.app import STATE as GETBILL_STATE

        held = app[GETBILL_STATE]
        references = [str(d.get("internal_id")) for d in held.debts.values()]
        log = [(entry.at, entry.status) for entry in held.log]
    else:
        from debtkit_debitura.simulator import STATE as DEBITURA_STATE

        cases = app[DEBITURA_STATE]
        references = list(cases.created_references())
        log = [(entry.at, entry.status) for entry in cases.requests]
    admitted = [at for at, status in log if status != 429]
    return {
        "references": dict(collections.Counter(references)),
        "throttled": len(log) - len(admitted),
        "requests": len(log),
        "first": min(admitted, default=None),  # arrival times, epoch seconds
        "last": max(admitted, default=None),
        "faults": dict(faults.served) if faults is not None else {},
    }


def answer(message: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def serve(provider: str, settings: Mapping[str, Any]) -> None:
    options = app_options(provider, settings)
    app = load_adapter(provider).simulator(**options)
    async with SimulatorServer(app) as server:
        ready = {"base_url": server.base_url, "credentials": dict(app[CREDENTIALS])}
        answer(ready)
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return
            if line.strip() == "report":
                report = records(provider, app, options.get("faults"))
                answer(report)


class SimulatorProcess:
    """`python -m tests.simulator_process` as an async context manager."""

    def __init__(self, provider: str, **settings: Any) -> None:
        self.provider = provider
        self.settings = settings
        self.base_url = ""
        self.credentials: dict[str, str] = {}
        self._process: subprocess.Popen[str] | None = None

    def credential_flags(self) -> list[str]:
        return [f"--credential={name}={value}" for name, value in self.credentials.items()]

    async def _line(self) -> dict[str, Any]:
        assert self._process is not None
        assert self._process.stdout is not None
        read = asyncio.to_thread(self._process.stdout.readline)
        line = await asyncio.wait_for(read, STARTUP_BOUND)
        if not line:
            raise RuntimeError(f"the {self.provider} simulator process ended")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def report(self) -> dict[str, Any]:
        """The simulator's own records (see `records`)."""
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.write("report\n")
        self._process.stdin.flush()
        return await self._line()

    async def __aenter__(self) -> SimulatorProcess:
        command = [sys.executable, "-m", "tests.simulator_process", self.provider]
        self._process = subprocess.Popen(  # noqa: ASYNC220 - started once, read in a thread
            [*command, json.dumps(self.settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        ready = await self._line()
        self.base_url, self.credentials = ready["base_url"], ready["credentials"]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._process is not None
        if self._process.stdin is not None:
            self._process.stdin.close()  # end of input: the simulator stops
        try:
            await asyncio.to_thread(self._process.wait, 30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            await asyncio.to_thread(self._process.wait, 30)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}))
