"""GetBill company: its profile, its credit balance and subscription, its users.

``client.company``: `profile`, `credits` and `users` (``/company/users`` is one unpaginated
array; it is still an async iterator, like every list). Times carry ``Z`` and read as aware
UTC. The credit balance is what `debtkit import` checks an import's estimate against
(`debtkit_getbill.preflight`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from debtkit.transport import Transport
from debtkit_getbill.api import ResourceApi

__all__ = ["Company", "CompanyProfile", "CompanyUser", "Credits", "Subscription"]


@attrs.frozen
class CompanyProfile:
    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    created_at: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class Subscription:
    plan: str | None = None
    status: str | None = None
    expires_at: dt.datetime | None = None


@attrs.frozen
class Credits:
    """The balance (``current_credits``); a Decimal, as nothing says credits are whole."""

    current_credits: Decimal
    subscription: Subscription | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class CompanyUser:
    """A dashboard user of the company. No personal data in its repr."""

    id: str
    email: str | None = attrs.field(default=None, repr=False)
    firstname: str | None = attrs.field(default=None, repr=False)
    lastname: str | None = attrs.field(default=None, repr=False)
    is_active: bool | None = None
    created_at: dt.datetime | None = None
    last_activity: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


class Company:
    """``client.company``."""

    def __init__(self, transport: Transport) -> None:
        self._company = ResourceApi(transport, "company:read")
        self._users = ResourceApi(transport, "users:read")

    async def profile(self) -> CompanyProfile:
        response = await self._company.get("company/profile")
        return self._company.one(response, CompanyProfile, "GetBill company profile")

    async def credits(self) -> Credits:
        response = await self._company.get("company/credits")
        return self._company.one(response, Credits, "GetBill credits")

    async def users(self) -> AsyncIterator[CompanyUser]:
        """Every user (one request: the endpoint is not paginated)."""
        response = await self._users.get("company/users")
        for user in self._users.many(response, CompanyUser, "GetBill company user"):
            yield user
