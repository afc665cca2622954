"""``debtkit import --preflight warn|refuse|off``: ask the provider, before sending anything,
what would go wrong (GetBill: an estimate over the credit balance, or a balance that cannot be
read; Debitura: debtors no partner covers).

The CLI knows no adapter: a client that offers ``async preflight(debts)`` returns findings,
each printed as its ``str()``; an empty list means no objection. ``warn`` (the default) prints
them and imports; ``refuse`` stops before any debt is sent when there is one; a client without
the hook is imported as usual.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from debtkit.errors import ConfigurationError
from debtkit.files import Row
from debtkit.plugin import Adapter

__all__ = ["MODES", "preflight"]

MODES = ("warn", "refuse", "off")


async def preflight(
    adapter: Adapter, options: Mapping[str, Any], rows: Iterator[Row], mode: str
) -> None:
    """Print every finding; with ``refuse``, raise `ConfigurationError` if there is any."""
    async with adapter.connect(**options) as client:
        check = getattr(client, "preflight", None)
        if check is None:
            return
        findings = list(await check(row.debt for row in rows if row.debt is not None))
    for finding in findings:
        print(f"preflight: {finding}")
    if not findings:
        print(f"preflight: {adapter.name} raised no objection")
    elif mode == "refuse":
        raise ConfigurationError(
            f"preflight found {len(findings)} problem(s); nothing was sent "
            "(use --preflight warn to import anyway)"
        )
