"""Any adapter's simulator served on loopback from a background thread, so that code running
its own event loops (the CLI, `asyncio.run()` twice) can talk to it."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from debtkit.plugin import Adapter
from debtkit.simulator import CREDENTIALS, SimulatorServer


class ServedSimulator:
    def __init__(self, adapter: Adapter, time_scale: float = 1.0) -> None:
        self.adapter = adapter
        self.app = adapter.simulator(time_scale=time_scale)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = SimulatorServer(self.app)

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def __enter__(self) -> ServedSimulator:
        self.thread.start()
        self.run(self.server.start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=60)
        self.loop.close()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def credentials(self) -> dict[str, str]:
        return dict(self.app.get(CREDENTIALS) or {})

    def flags(self, credentials: dict[str, str] | None = None) -> list[str]:
        given = self.credentials if credentials is None else credentials
        flags = ["--provider", self.adapter.name, "--base-url", self.base_url]
        for name, value in given.items():
            flags += ["--credential", f"{name}={value}"]
        return flags
