"""A loopback webhook receiver for the tests, and an independent signature check.

`verify_signature` follows Debitura's documented algorithm with hmac/hashlib/base64 only, so
the simulator's signer is checked against the documents, not against itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import attrs
from aiohttp import web
from debtkit_debitura.simulator import DEFAULT_API_KEY

from debtkit.simulator import SimulatorServer
from debtkit.transport import Request, Transport


def verify_signature(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    header = headers["X-Debitura-Signature"]
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        base64.b64decode(secret), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@attrs.define
class Received:
    headers: dict[str, str]
    body: bytes


@attrs.define
class Sink:
    """Records every POST; answers the statuses in `script` in turn, then `default`."""

    script: list[int] = attrs.field(factory=list)
    default: int = 200
    received: list[Received] = attrs.field(factory=list)
    server: SimulatorServer | None = None
    arrived: asyncio.Event = attrs.field(factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(dict(request.headers), await request.read()))
        self.arrived.set()
        status = self.script.pop(0) if self.script else self.default
        return web.Response(status=status)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.server = SimulatorServer(app, host="127.0.0.1")
        await self.server.start()
        return self.server.origin + "/hook"

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()


def raw(base_url: str) -> Transport:
    """A bare transport: `send` returns every status instead of raising."""
    return Transport(provider="raw", base_url=base_url)


async def call(base_url: str, method: str, path: str, body: Any = None) -> Any:
    async with raw(base_url) as transport:
        return await transport.send(
            Request(method, path, json=body, headers={"XApiKey": DEFAULT_API_KEY})
        )
