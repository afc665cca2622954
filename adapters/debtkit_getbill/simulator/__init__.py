"""The GetBill simulator: `create_app` builds it, `RunningSimulator` serves it on loopback.

``python -m debtkit_getbill.simulator --port 8080`` runs one from the command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from debtkit.simulator import SimulatorServer
from debtkit_getbill.simulator.app import (
    API_PREFIX,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    MAX_BATCH,
    MAX_PAGE_SIZE,
    STATE,
    create_app,
)
from debtkit_getbill.simulator.extras import ALL_SCOPES, EXTRAS, ExtrasState
from debtkit_getbill.simulator.state import (
    ANONYMOUS,
    ClientConfig,
    LoggedRequest,
    SimulatorState,
    TokenGrant,
)

if TYPE_CHECKING:
    from debtkit_getbill.client import GetBillClient

__all__ = [
    "ALL_SCOPES",
    "ANONYMOUS",
    "API_PREFIX",
    "EXTRAS",
    "MAX_BATCH",
    "MAX_PAGE_SIZE",
    "STATE",
    "ClientConfig",
    "ExtrasState",
    "LoggedRequest",
    "RunningSimulator",
    "SimulatorState",
    "TokenGrant",
    "create_app",
]


class RunningSimulator:
    """A simulator served on loopback for an ``async with`` block.

    Keyword options go to `create_app`; `base_url`, `token_url`, `credentials` and `state`
    are what a test needs, and `connect()` builds a `GetBillClient` pointed at it.
    """

    def __init__(self, app: web.Application | None = None, **options: Any) -> None:
        self.app = app if app is not None else create_app(**options)
        self._client_id = options.get("client_id", DEFAULT_CLIENT_ID)
        self._client_secret = options.get("client_secret", DEFAULT_CLIENT_SECRET)
        self.server = SimulatorServer(self.app)

    def __repr__(self) -> str:
        return f"RunningSimulator({self.server.origin!r})"

    @property
    def origin(self) -> str:
        return self.server.origin

    @property
    def base_url(self) -> str:
        return self.server.origin + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.server.origin + "/token"

    @property
    def credentials(self) -> Mapping[str, str]:
        return {"client_id": self._client_id, "client_secret": self._client_secret}

    @property
    def state(self) -> SimulatorState:
        return self.app[STATE]

    @property
    def extras(self) -> ExtrasState:
        """Followups, debtors, creditors, company and reports (``app[EXTRAS]``)."""
        return self.app[EXTRAS]

    def connect(
        self, credentials: Mapping[str, str] | None = None, **options: Any
    ) -> GetBillClient:
        from debtkit_getbill.adapter import GetBillAdapter

        return GetBillAdapter().connect(
            self.credentials if credentials is None else credentials,
            base_url=self.base_url,
            **options,
        )

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    async def __aenter__(self) -> RunningSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
