"""Shared plumbing for adapters' provider clients: the transport's lifetime and validation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar

from debtkit.connect_checks import check_connect_options, check_credentials
from debtkit.model import Debt
from debtkit.transport import Transport
from debtkit.validation import CheckedDebt, PolicyRule, Validator

__all__ = ["BaseClient", "check_connect_options", "check_credentials"]

_C = TypeVar("_C", bound="BaseClient")


class BaseClient:
    """Owns a `Transport` and a `Validator`; an async context manager closing what it opened.

    Adapters subclass it and add the neutral operations (`create`, `get`, `find`, `cases`).
    """

    provider: str

    def __init__(
        self,
        transport: Transport,
        rules: Sequence[PolicyRule] = (),
        *,
        relax: Collection[str] = (),
        default_region: str = "FR",
    ) -> None:
        self.provider = transport.provider
        self.transport = transport
        self.validator = Validator(rules, relax=relax, default_region=default_region)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transport.base_url!r})"

    def check(self, debt: Debt | CheckedDebt) -> CheckedDebt:
        return self.validator.check(debt)

    def validated(self, debt: Debt | CheckedDebt) -> Debt:
        """The normalised debt, or `ValidationError` with every problem; no request is made.

        A `CheckedDebt` that this client's `check` returned is not checked again (bulk imports
        check each debt once, on admission); anything else is."""
        return self.validator.validate(debt)

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
