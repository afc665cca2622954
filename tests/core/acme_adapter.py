"""A third-party adapter defined only in the tests, to prove the plugin API is enough."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from aiohttp import web

from debtkit import Capability, Case, CaseStatus, Debt, RateLimit, RateObservation
from debtkit.client import BaseClient
from debtkit.errors import APIStatusError, UnsupportedFeatureError
from debtkit.events import CaseEvent
from debtkit.transport import Response, Transport, default_error
from debtkit.validation import PolicyRule


class AcmeClient(BaseClient):
    async def create(self, debt: Debt) -> Case:
        raise NotImplementedError

    async def get(self, provider_id: str) -> Case:
        raise NotImplementedError

    async def find(self, creditor_reference: str) -> Case | None:
        return None

    async def cases(self, **filters: Any) -> AsyncIterator[Case]:
        for _ in ():
            yield _


class AcmeAdapter:
    name = "acme"
    capabilities = frozenset({Capability.CREATE})
    credential_env: Mapping[str, str] = MappingProxyType({"api_key": "ACME_API_KEY"})

    def rate_limits(self) -> tuple[RateLimit, ...]:
        return (RateLimit("all", 10, 1.0),)

    def policy_rules(self) -> Sequence[PolicyRule]:
        return ()

    def to_wire(self, debt: Debt) -> dict[str, Any]:
        return {"ref": debt.creditor_reference, "amount": debt.amount}

    def to_case(self, record: Mapping[str, Any]) -> Case:
        return Case(
            "acme", str(record["id"]), CaseStatus.UNKNOWN, provider_status=record.get("state")
        )

    def parse_error(self, response: Response) -> APIStatusError:
        return default_error(response, "acme")

    def parse_rate_headers(self, response: Response) -> RateObservation | None:
        return None

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], secret: str, *, now: float | None = None
    ) -> CaseEvent:
        raise UnsupportedFeatureError("acme", "webhooks")

    def connect(self, credentials: Mapping[str, str], **options: Any) -> AcmeClient:
        return AcmeClient(
            Transport(provider="acme", base_url=options.get("base_url") or "https://acme.test")
        )

    def simulator(self, **options: Any) -> web.Application:
        return web.Application()
