"""Imports in a shared ledger: ``import`` starts or resumes one and drains it, ``worker`` joins
one, ``status`` counts its debts per state.

The rule for ``--ledger``: a ``postgresql://`` or ``sqlite:///`` URL, or any ledger together
with ``--import ID``, is a shared ledger (a file path: SQLite, for workers on one host). A
plain file path without ``--import`` is ``import``'s own journal, held by one process, as
always (`debtkit.bulk.ledger`). ``worker`` and ``status`` read shared ledgers only, and never
create a file.

The ledger's URL comes from ``--ledger`` or the environment variable ``DEBTKIT_LEDGER``; it
is only ever shown redacted. The lease (seconds a claim lasts without renewal) comes from
``--lease`` or ``DEBTKIT_LEASE``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from debtkit.bulk import Account, Outcome, account_key, drain, open_ledger, start_import
from debtkit.bulk.journal import SharedLedger
from debtkit.bulk.shared import SHARED_SCHEMES
from debtkit.bulk.sqlite_migrations import is_shared_ledger_file
from debtkit.bulk.sqlite_shared import SQLITE_SCHEME, refuse_lost, sqlite_path
from debtkit.cli.output import EXIT_USAGE, ResultsFile, Summary
from debtkit.cli.probe import close, fatal_result
from debtkit.cli.shared_budget import budget_url, shared_gate
from debtkit.errors import ConfigurationError
from debtkit.files import Row
from debtkit.plugin import Adapter, ProviderClient
from debtkit.registry import Registry
from debtkit.urls import redact_url

__all__ = [
    "add_arguments",
    "is_shared",
    "ledger_url",
    "refuse_shared_file",
    "run_import",
    "status",
    "worker",
]

LEDGER_ENV = "DEBTKIT_LEDGER"
LEASE_ENV = "DEBTKIT_LEASE"


def add_arguments(command: argparse.ArgumentParser, *, import_id_required: bool) -> None:
    command.add_argument(
        "--import",
        dest="import_id",
        required=import_id_required,
        metavar="ID",
        help="the import's id in a shared ledger (import: with a file --ledger, --import is"
        " what makes it shared; with a postgresql:// or sqlite:/// URL a new id is made and"
        " printed on stderr when omitted)",
    )
    command.add_argument(
        "--lease",
        type=float,
        default=None,
        help=f"seconds a worker's claim lasts unless renewed (default 60, or ${LEASE_ENV})",
    )


def ledger_url(args: argparse.Namespace) -> str | None:
    return args.ledger or os.environ.get(LEDGER_ENV) or None


def is_shared(location: str | None) -> bool:
    """Whether `location` names a shared ledger by its URL (a bare path does not)."""
    return bool(location) and str(location).startswith((*SHARED_SCHEMES, SQLITE_SCHEME))


def refuse_shared_file(path: Path) -> None:
    """A journal path (no ``--import``) that is a shared ledger: say what was meant."""
    if is_shared_ledger_file(path):
        raise ConfigurationError(
            f"{path} is a shared ledger: pass --import ID to start or resume an import in it"
        )


def _open(url: str, *, create: bool) -> SharedLedger:
    """`open_ledger`; a SQLite file is only created by ``import``."""
    if url.startswith(SHARED_SCHEMES):
        return open_ledger(url)
    return open_ledger(url, create=create)


def _lease(args: argparse.Namespace) -> float:
    raw = args.lease if args.lease is not None else os.environ.get(LEASE_ENV, "60")
    try:
        lease = float(raw)
    except ValueError:
        raise ConfigurationError(f"{LEASE_ENV} must be a number of seconds") from None
    if not lease > 0:
        raise ConfigurationError("the lease must be a positive number of seconds")
    return lease


def _account(adapter: Adapter, client: ProviderClient, options: Mapping[str, Any]) -> Account:
    """The account the client talks to: its base URL and a fingerprint of the credentials."""
    base_url = getattr(getattr(client, "transport", None), "base_url", None)
    where = str(base_url or options.get("base_url") or f"{adapter.name}:default")
    return Account(adapter.name, account_key(adapter.name, where, options["credentials"]))


async def _drain(
    adapter: Adapter,
    client: ProviderClient,
    ledger: SharedLedger,
    import_id: str,
    account: Account,
    args: argparse.Namespace,
    results: ResultsFile | None,
) -> Summary:
    summary = Summary()
    stream = drain(
        client,
        ledger,
        import_id,
        account=account,
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        lease=_lease(args),
    )
    try:
        async for result in stream:
            if results is not None:
                results.write(result)
            summary.add(result)
            summary.stopped = fatal_result(adapter.name, result)
            if summary.stopped is not None:
                break
    finally:
        await close(stream)
    # The exit code speaks for the whole import, whichever worker settled each debt.
    counts = await ledger.counts(import_id)
    summary.outcomes = Counter(
        {Outcome(state): count for state, count in counts.items() if state in _OUTCOMES}
    )
    return summary


_OUTCOMES = {outcome.value for outcome in Outcome}


async def _import(
    adapter: Adapter,
    options: Mapping[str, Any],
    rows: Iterator[Row],
    args: argparse.Namespace,
    url: str,
    results: ResultsFile,
) -> tuple[str, Summary]:
    async with (
        shared_gate(adapter, options, budget_url(args)) as sending,
        adapter.connect(**sending) as client,
        _open(url, create=True) as ledger,
    ):
        account = _account(adapter, client, options)
        info = await start_import(client, ledger, rows, account=account, import_id=args.import_id)
        if args.import_id is None:
            print(f"debtkit: import id {info.import_id}", file=sys.stderr, flush=True)
        summary = await _drain(adapter, client, ledger, info.import_id, account, args, results)
        return info.import_id, summary


def run_import(
    adapter: Adapter,
    options: Mapping[str, Any],
    rows: Iterator[Row],
    args: argparse.Namespace,
    url: str,
    results_path: Path,
) -> int:
    """``debtkit import`` into a shared ledger: start (or resume) the import, then drain it
    alongside any workers."""
    if not url.startswith(SHARED_SCHEMES):  # before the results file is (re)written
        refuse_lost(sqlite_path(url), [results_path], url)
    with ResultsFile(results_path, include_case=args.results_include_case) as results:
        import_id, summary = asyncio.run(_import(adapter, options, rows, args, url, results))
    return _report(adapter, summary, import_id, url, {"results": str(results_path)})


def _shown(url: str) -> str:
    return redact_url(url) if "://" in url else url


def _report(
    adapter: Adapter, summary: Summary, import_id: str, url: str, extra: dict[str, str]
) -> int:
    where = {**extra, "ledger": _shown(url), "import": import_id}
    for line in summary.lines(adapter.name, where):
        print(line)
    if summary.stopped is not None:
        print(f"debtkit: {summary.stopped}", file=sys.stderr)
        return EXIT_USAGE
    return summary.exit_code


def _required_url(args: argparse.Namespace) -> str:
    url = ledger_url(args)
    if url is None:
        raise ConfigurationError(
            f"no ledger: pass --ledger PATH or --ledger postgresql://..., or set {LEDGER_ENV}"
        )
    return url


async def _work(
    adapter: Adapter, options: Mapping[str, Any], args: argparse.Namespace, url: str
) -> Summary:
    results = ResultsFile(Path(args.results)) if args.results else None
    async with (
        shared_gate(adapter, options, budget_url(args)) as sending,
        adapter.connect(**sending) as client,
        _open(url, create=False) as ledger,
    ):
        account = _account(adapter, client, options)
        if results is None:
            return await _drain(adapter, client, ledger, args.import_id, account, args, None)
        with results:
            return await _drain(adapter, client, ledger, args.import_id, account, args, results)


def worker(args: argparse.Namespace, registry: Registry, options: Mapping[str, Any]) -> int:
    """``debtkit worker``: drain an import until nothing is left to claim, then exit."""
    adapter = registry.get(args.provider)
    url = _required_url(args)
    summary = asyncio.run(_work(adapter, options, args, url))
    extra = {"results": args.results} if args.results else {}
    return _report(adapter, summary, args.import_id, url, extra)


async def _counts(url: str, import_id: str) -> tuple[str, dict[str, int], int]:
    async with _open(url, create=False) as ledger:
        info = await ledger.import_info(import_id)
        return info.account.provider, await ledger.counts(import_id), info.total


def status(args: argparse.Namespace, registry: Registry) -> int:
    """``debtkit status``: the import's debts per state (outcomes, pending, claimed)."""
    url = _required_url(args)
    provider, counts, total = asyncio.run(_counts(url, args.import_id))
    print(f"import {args.import_id} ({provider}): {total} debts")
    for state, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {state}: {count}")
    return 0
