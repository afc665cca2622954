"""Commands for one provider's own API families: ``credits`` and ``followups CASE``.

The core knows no adapter, so these work with any provider whose client offers the family
(``client.company.credits()``, ``client.followups.by_debt(case)``: GetBill's do) and refuse
clearly otherwise. They take the same --provider, --credential and --base-url flags as
``import``. Output carries no personal data: a followup's summary, notes and phone number
are shown only with --details.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from debtkit.cli.commands import connection_options
from debtkit.errors import ConfigurationError
from debtkit.registry import Registry

__all__ = ["COMMANDS", "add_parsers", "credits", "followups"]

DEFAULT_PROVIDER = "getbill"  # the one provider with credits and followups today


def add_parsers(sub: Any, connection: Callable[[argparse.ArgumentParser], None]) -> None:
    balance = sub.add_parser("credits", help="a provider's credit balance and subscription")
    balance.add_argument("--provider", default=DEFAULT_PROVIDER)
    connection(balance)
    history = sub.add_parser("followups", help="every followup (call, email, SMS...) of a case")
    history.add_argument("case", help="the provider's id of the case (debt)")
    history.add_argument("--provider", default=DEFAULT_PROVIDER)
    history.add_argument(
        "--details", action="store_true", help="also show summaries (may hold personal data)"
    )
    connection(history)


def _family(client: Any, name: str, provider: str) -> Any:
    family = getattr(client, name, None)
    if family is None:
        raise ConfigurationError(f"{provider} has no {name} API in debtkit")
    return family


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(getattr(value, "value", value))


async def _credits(adapter: Any, options: Mapping[str, Any]) -> int:
    async with adapter.connect(**options) as client:
        balance = await _family(client, "company", adapter.name).credits()
    print(f"{adapter.name} credits: {balance.current_credits:,}")
    subscription = balance.subscription
    if subscription is not None:
        print(
            f"subscription: {_text(subscription.plan)} ({_text(subscription.status)}), "
            f"expires {_text(subscription.expires_at)}"
        )
    return 0


def credits(args: argparse.Namespace, registry: Registry) -> int:
    adapter = registry.get(args.provider)
    return asyncio.run(_credits(adapter, connection_options(adapter, args)))


async def _followups(adapter: Any, options: Mapping[str, Any], case: str, details: bool) -> int:
    count = 0
    async with adapter.connect(**options) as client:
        async for item in _family(client, "followups", adapter.name).by_debt(case):
            when = item.call_date or item.scheduled_at or item.processed_at
            line = (
                f"{item.id}  {_text(item.type_raw):<11} {_text(item.status_raw):<14} "
                f"{_text(item.direction_raw):<8} {_text(when)}"
            )
            if item.duration_ms is not None:
                line += f"  {item.duration_ms / 1000:.0f}s"
            if details and item.summary:
                line += f"  {item.summary}"
            print(line)
            count += 1
    print(f"{count} followup(s) for case {case}")
    return 0


def followups(args: argparse.Namespace, registry: Registry) -> int:
    adapter = registry.get(args.provider)
    options = connection_options(adapter, args)
    return asyncio.run(_followups(adapter, options, args.case, args.details))


COMMANDS: Mapping[str, Callable[[argparse.Namespace, Registry], int]] = {
    "credits": credits,
    "followups": followups,
}
