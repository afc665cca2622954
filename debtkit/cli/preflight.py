"""``debtkit import --preflight warn|refuse|off``: ask the provider, before sending anything,
what would go wrong (GetBill: an estimate over the credit balance, or a balance that cannot be
read; Debitura: debtors no partner covers).

The CLI knows no adapter: a client that offers ``async preflight(debts)`` returns findings,
each printed as its ``str()``; an empty list means no objection. ``warn`` (the default) prints
them and imports; ``refuse`` stops before any debt is sent when there is one; a client without
the hook is imported as usual.

The adapter's cost estimate (``estimate_cost``), when given as `cost`, is worked out on the
same reading of the input (`debtkit.cli.prepass`) and printed first: the rows are read and
structured once before the import, not once per hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from debtkit.cli.prepass import SharedPass
from debtkit.errors import ConfigurationError
from debtkit.files import Row
from debtkit.model import Debt
from debtkit.plugin import Adapter

__all__ = ["MODES", "preflight"]

MODES = ("warn", "refuse", "off")


async def _findings(
    adapter: Adapter, options: Mapping[str, Any], debts: Iterable[Debt]
) -> list[Any] | None:
    """The client's findings on `debts`, or None if it has no preflight (nothing is read)."""
    async with adapter.connect(**options) as client:
        check = getattr(client, "preflight", None)
        return None if check is None else list(await check(debts))


async def preflight(
    adapter: Adapter,
    options: Mapping[str, Any],
    rows: Iterator[Row],
    mode: str,
    *,
    cost: Callable[[Iterator[Debt]], list[str]] | None = None,
) -> None:
    """Print the cost lines and every finding; with ``refuse``, raise `ConfigurationError` if
    there is any finding."""
    debts = (row.debt for row in rows if row.debt is not None)
    lines: list[str] = []
    if cost is None:
        findings = await _findings(adapter, options, debts)
    else:
        with SharedPass(debts, cost) as shared:
            findings = await _findings(adapter, options, shared)
            lines = shared.finish()
    for line in lines:
        print(line)
    if findings is None:
        return
    for finding in findings:
        print(f"preflight: {finding}")
    if not findings:
        print(f"preflight: {adapter.name} raised no objection")
    elif mode == "refuse":
        raise ConfigurationError(
            f"preflight found {len(findings)} problem(s); nothing was sent "
            "(use --preflight warn to import anyway)"
        )
