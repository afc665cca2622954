"""The creditor account beyond ``client.me()``: ``client.account.users()`` (the team members
whose email can send chat messages) and ``client.account.contract_status()`` (the standard
Debt Collection Agreement, needed before any case is created).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs

from debtkit.errors import ConfigurationError
from debtkit.transport import Request, Response
from debtkit_debitura.calls import Resource, paged

__all__ = ["USERS_PAGE_SIZE", "Account", "CollectionContractStatus", "TeamMember"]

USERS_PAGE_SIZE = 100  # the documented maximum (default 50)


@attrs.frozen
class TeamMember:
    """A user of your Debitura team; `email` names the sender of a chat message."""

    id: str
    name: str | None = attrs.field(default=None, repr=False)
    email: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class CollectionContractStatus:
    """``GET /contracts/debt-collection/status``."""

    signed: bool = False
    requires_resigning: bool = False
    invalidation_reason: str | None = None  # None, NewVersion, AdminInvalidated, Other, ...
    terms_url: str | None = None
    solution_url: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ready(self) -> bool:
        """Signed and current: cases can be created."""
        return self.signed and not self.requires_resigning


class Account(Resource):
    """``client.account``."""

    def users(self, *, page_size: int = USERS_PAGE_SIZE) -> AsyncIterator[TeamMember]:
        """Every team member, page by page (``GET /users``), each once."""
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise ConfigurationError("users(): page_size must be an integer")
        if not 1 <= page_size <= USERS_PAGE_SIZE:
            raise ConfigurationError(f"users(): page_size must be 1 to {USERS_PAGE_SIZE}")

        async def page(number: int) -> Response:
            params = {"Page": number, "PageSize": page_size}
            return await self.call(Request("GET", "users", params=params))

        return paged(page, TeamMember, "Debitura user", "users", page_size, lambda u: u.id)

    async def contract_status(self) -> CollectionContractStatus:
        url = "contracts/debt-collection/status"
        return await self.fetch(url, CollectionContractStatus, "Debitura contract status")
