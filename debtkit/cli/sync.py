"""``debtkit sync``: print the events since the last sync as JSON lines.

For accounts without webhooks. The provider's client compares its current cases (and, for
Debitura, payments) with the snapshot file ``--state`` (created on first use) and each event
is written to stdout as one JSON line. An event counts as delivered once its line is written
and flushed: a sync interrupted part-way (Ctrl-C, a closed pipe, a crash) prints the events
not yet delivered on the next run, and never one that was. The provider's raw payload holds
debtor data, so it is left out unless ``--raw`` asks for it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import IO, Any

import attrs

from debtkit.cli.commands import credentials
from debtkit.cli.listen import event_line
from debtkit.errors import ConfigurationError
from debtkit.events import CaseEvent
from debtkit.plugin import Adapter
from debtkit.registry import Registry

__all__ = ["add_parser", "run_sync", "sync"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser("sync", help="print the events since the last sync as JSON lines")
    command.add_argument("--provider", required=True)
    command.add_argument("--state", required=True, help="snapshot file (SQLite), kept between runs")
    command.add_argument("--base-url", help="the provider's API base URL (e.g. a simulator)")
    command.add_argument(
        "--credential", action="append", metavar="NAME=VALUE", help="instead of the environment"
    )
    command.add_argument(
        "--quiet-first",
        action="store_true",
        help="on a first sync, record the current cases without printing them",
    )
    command.add_argument("--raw", action="store_true", help="include the provider's payload")


def _line(event: CaseEvent, raw: bool) -> str:
    if raw:
        return event_line(event)
    return event_line(_without_raw(event))


def _without_raw(event: CaseEvent) -> CaseEvent:
    payment = attrs.evolve(event.payment, raw={}) if event.payment is not None else None
    return attrs.evolve(event, raw={}, payment=payment)


async def run_sync(
    adapter: Adapter,
    options: dict[str, Any],
    state: Path,
    output: IO[str],
    *,
    quiet_first: bool = False,
    raw: bool = False,
) -> int:
    """Write the events since the last sync into `state`; how many."""
    count = 0
    async with adapter.connect(**options) as client:
        changes = getattr(client, "changes", None)
        if changes is None:
            raise ConfigurationError(f"{adapter.name} cannot sync (its client has no changes())")
        async with changes(state, announce_existing=not quiet_first) as feed:
            async for event in feed:
                output.write(_line(event, raw) + "\n")
                output.flush()
                count += 1
    return count


def sync(args: argparse.Namespace, registry: Registry) -> int:
    adapter = registry.get(args.provider)
    options: dict[str, Any] = {"credentials": credentials(adapter, args)}
    if args.base_url:
        options["base_url"] = args.base_url
    state = Path(args.state)
    if not state.parent.is_dir():
        raise ConfigurationError(f"no such directory for --state: {state.parent}")
    count = asyncio.run(
        run_sync(adapter, options, state, sys.stdout, quiet_first=args.quiet_first, raw=args.raw)
    )
    print(f"{count} events", file=sys.stderr)
    return 0
