"""The CLI's commands; each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import asyncio
import csv
import errno
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext, suppress
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from debtkit.bulk import BatchCreator, bulk_import
from debtkit.bulk.ledger import Ledger
from debtkit.cli import shared
from debtkit.cli.output import EXIT_USAGE, ProgressDisplay, ResultsFile, Summary, budget_of
from debtkit.cli.plan import apply_options, provider_options, rate_overrides
from debtkit.cli.preflight import preflight
from debtkit.cli.probe import close, fatal_result, probe
from debtkit.cli.reading import read_options
from debtkit.cli.shared_budget import budget_url, check_reachable, run_shared, shared_gate
from debtkit.cli.spreadsheet import neutralise_formula
from debtkit.conversion import unstructure
from debtkit.errors import ConfigurationError
from debtkit.files import Row, count_rows, read_debts
from debtkit.model import Debt
from debtkit.plugin import Adapter
from debtkit.registry import Registry
from debtkit.simulator import CREDENTIALS, SimulatorServer
from debtkit.validation import Validator

EXAMPLE = "example-debts.jsonl"
CASE_COLUMNS = (
    "provider", "provider_id", "reference", "creditor_reference", "status", "provider_status",
    "amount", "currency", "created_at", "updated_at", "action_url",
)  # fmt: skip


def input_path(args: argparse.Namespace) -> Any:
    """A context manager giving the input file's path (the bundled example with --example)."""
    if getattr(args, "example", False):
        return as_file(files("debtkit.data").joinpath(EXAMPLE))
    path = Path(args.file)
    if not path.is_file():
        raise ConfigurationError(f"no such file: {path}")
    return nullcontext(path)


def columns(args: argparse.Namespace) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in getattr(args, "column", None) or ():
        source, sep, target = item.partition("=")
        if not sep:
            raise ConfigurationError(f"--column takes HEADER=model.path, got {item!r}")
        mapping[source] = target
    return mapping


def credentials(adapter: Adapter, args: argparse.Namespace) -> dict[str, str]:
    """From --credential NAME=VALUE flags, else the adapter's environment variables."""
    given: dict[str, str] = {}
    for item in args.credential or ():
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigurationError("--credential takes NAME=VALUE")
        given[name] = value
    for name, variable in adapter.credential_env.items():
        if name not in given and os.environ.get(variable):
            given[name] = os.environ[variable]
    if not given:
        names = ", ".join(adapter.credential_env.values())
        raise ConfigurationError(f"no {adapter.name} credentials: set {names} or pass --credential")
    return given


def connection_options(adapter: Adapter, args: argparse.Namespace) -> dict[str, Any]:
    """`connect()` options from the --credential and --base-url flags every command shares."""
    options: dict[str, Any] = {"credentials": credentials(adapter, args)}
    if args.base_url:
        options["base_url"] = args.base_url
    return options


def sending_options(adapter: Adapter, args: argparse.Namespace) -> dict[str, Any]:
    """`connect()` options of the commands that send debts (import, worker)."""
    options = connection_options(adapter, args)
    overrides = rate_overrides(adapter, args.rate)
    if overrides:
        options["rate_overrides"] = overrides
    if args.time_scale != 1.0:
        options["time_scale"] = args.time_scale
    return options


def probe_sending(adapter: Adapter, options: Mapping[str, Any], budget: str | None) -> None:
    """Before anything is sent: the shared budget's Redis answers (``--budget``), and one read
    shows the credentials and URL work; else `ConfigurationError` (exit 2), nothing sent."""
    if budget is not None:
        asyncio.run(check_reachable(budget))
    asyncio.run(run_shared(budget, adapter, options, lambda shared: probe(adapter, shared)))


def worker(args: argparse.Namespace, registry: Registry) -> int:
    """Join an import in a shared ledger (`debtkit.cli.shared.worker`), after checking the
    credentials, URL and shared budget, as `import` does."""
    adapter = registry.get(args.provider)
    options = sending_options(adapter, args)
    probe_sending(adapter, options, budget_url(args))
    return shared.worker(args, registry, options)


def validate(args: argparse.Namespace, registry: Registry) -> int:
    adapter = registry.get(args.provider) if args.provider else None
    validator = Validator(adapter.policy_rules() if adapter else (), relax=args.relax or ())
    total = invalid = 0
    file_problems = False
    codes: Counter[str] = Counter()
    with input_path(args) as path:
        rows = read_debts(path, columns(args), **read_options(Path(path), args))
        if adapter is not None and getattr(args, "option", None):  # import --dry-run
            rows = apply_options(rows, adapter.name, provider_options(adapter, args.option))
        for row in rows:
            total += not row.header  # a header's problems are the file's, not a debt's
            problems = list(row.problems)
            if row.debt is not None:
                problems += validator.check(row.debt).problems
            if problems:
                invalid += not row.header
                file_problems = file_problems or row.header
                codes.update(p.code for p in problems)
                for problem in problems:
                    print(f"{Path(path).name}:{row.line}: {problem}")
    label = f" for {args.provider}" if args.provider else ""
    print(f"validated {total} debts{label}: {total - invalid} valid, {invalid} invalid")
    if codes:
        print("problems by code: " + ", ".join(f"{c}={n}" for c, n in codes.most_common()))
    return 1 if invalid or file_problems else 0


def cost_estimate(adapter: Adapter) -> Callable[[Iterator[Debt]], list[str]] | None:
    """An adapter's cost estimate as lines, if it offers one (GetBill: credits per AI call)."""
    estimate = getattr(adapter, "estimate_cost", None)
    if estimate is None:
        return None
    return lambda debts: [str(line) for line in estimate(debts)]


def cost_lines(adapter: Adapter, rows: Iterator[Row]) -> list[str]:
    """The estimate's lines for `rows`, on a reading of its own (see `debtkit.cli.prepass`
    for the reading the import shares with its preflight)."""
    estimate = cost_estimate(adapter)
    if estimate is None:
        return []
    return estimate(row.debt for row in rows if row.debt is not None)


def import_rows(
    args: argparse.Namespace,
    adapter: Adapter,
    path: Path,
    column_map: Mapping[str, str],
    how: Mapping[str, Any],
) -> Iterator[Row]:
    """The input's rows (read as `read_options` found), each carrying the ``--option``
    flags' provider options."""
    rows = read_debts(path, column_map, **how)
    return apply_options(rows, adapter.name, provider_options(adapter, args.option))


async def run_import(
    adapter: Adapter,
    connect_options: Mapping[str, Any],
    path: Path,
    *,
    ledger: Ledger,
    results: ResultsFile,
    column_map: Mapping[str, str],
    concurrency: int,
    batch_size: int = 1000,
    encoding: str | None = None,
    rows: Iterator[Row] | None = None,
    reading: Mapping[str, Any] | None = None,
    budget: str | None = None,
) -> Summary:
    """Import the rows, writing each result; stops at the first result that shows no other
    debt can be created (wrong credentials, a refused one, no create endpoint): then
    `Summary.stopped` holds the message. `budget`: the Redis URL of a shared rate budget."""
    summary = Summary()
    how = dict(reading or {"encoding": encoding})  # `read_options`: file format and cells
    total = count_rows(
        path, column_map, encoding=how.get("encoding"), file_format=how.get("file_format")
    )
    if rows is None:
        rows = read_debts(path, column_map, **how)
    async with (
        shared_gate(adapter, connect_options, budget) as shared,
        adapter.connect(**shared) as client,
    ):
        per_request = batch_size if isinstance(client, BatchCreator) else 1
        display = ProgressDisplay(
            adapter.name, total, budget=budget_of(client), per_request=per_request
        )
        with display:
            stream = bulk_import(
                client,
                rows,
                ledger=ledger,
                concurrency=concurrency,
                batch_size=batch_size,
                on_progress=display.update,
            )
            try:
                async for result in stream:
                    results.write(result)
                    summary.add(result)
                    display.count(result)
                    summary.stopped = fatal_result(adapter.name, result)
                    if summary.stopped is not None:
                        break
            finally:
                await close(stream)  # cancels what is in flight; the ledger keeps its state
    return summary


def import_(args: argparse.Namespace, registry: Registry) -> int:
    adapter = registry.get(args.provider)
    with input_path(args) as path:
        path = Path(path)
        column_map = columns(args)
        how = read_options(path, args)
        provider_options(adapter, args.option)  # a refused --option stops before anything
        if args.dry_run or args.preflight == "off":  # else printed by the preflight's pass
            for line in cost_lines(adapter, import_rows(args, adapter, path, column_map, how)):
                print(line)
        if args.dry_run:
            args.relax = args.relax or []
            return validate(args, registry)
        options = sending_options(adapter, args)
        budget = budget_url(args)
        probe_sending(adapter, options, budget)  # wrong credentials, URL or budget: exit 2
        if args.preflight != "off":  # e.g. GetBill's credit balance, Debitura's coverage
            rows = import_rows(args, adapter, path, column_map, how)
            cost = cost_estimate(adapter)
            asyncio.run(
                run_shared(
                    budget,
                    adapter,
                    options,
                    lambda o: preflight(adapter, o, rows, args.preflight, cost=cost),
                )
            )
        if args.relax:
            options["relax"] = args.relax
        results_path = Path(args.results or f"{path}.{adapter.name}.results.jsonl")
        url = shared.ledger_url(args)
        if shared.is_shared(url) or args.import_id is not None:  # the rule: debtkit.cli.shared
            if url is None:
                raise ConfigurationError(
                    "--import needs the shared ledger: --ledger PATH or --ledger postgresql://..."
                )
            rows = import_rows(args, adapter, path, column_map, how)
            return shared.run_import(adapter, options, rows, args, url, results_path)
        ledger_path = Path(url or f"{path}.{adapter.name}.ledger.sqlite")
        shared.refuse_shared_file(ledger_path)
        # The ledger first: a refused run (busy, damaged, lost) must leave the results of
        # the earlier run in place, since they are the evidence that run happened.
        with (
            Ledger(
                ledger_path, ledger_lost=args.ledger_lost, earlier_results=[results_path]
            ) as ledger,
            ResultsFile(results_path, include_case=args.results_include_case) as results,
        ):
            summary = asyncio.run(
                run_import(
                    adapter,
                    options,
                    path,
                    ledger=ledger,
                    results=results,
                    column_map=column_map,
                    concurrency=args.concurrency,
                    batch_size=args.batch_size,
                    encoding=args.encoding,
                    reading=how,
                    rows=import_rows(args, adapter, path, column_map, how),
                    budget=budget,
                )
            )
    where = {"results": str(results_path), "ledger": str(ledger_path)}
    for line in summary.lines(adapter.name, where):
        print(line)
    if summary.stopped is not None:
        print(f"debtkit: {summary.stopped}", file=sys.stderr)
        return EXIT_USAGE
    return summary.exit_code


async def _export(adapter: Adapter, options: Mapping[str, Any], fmt: str) -> int:
    count = 0
    writer = None
    async with adapter.connect(**options) as client:
        async for case in client.cases():
            data = unstructure(case)
            if fmt == "jsonl":
                sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
            else:
                data.pop("raw", None)
                if writer is None:
                    writer = csv.DictWriter(
                        sys.stdout, fieldnames=CASE_COLUMNS, extrasaction="ignore"
                    )
                    writer.writeheader()
                writer.writerow({key: neutralise_formula(value) for key, value in data.items()})
            count += 1
    print(f"exported {count} cases", file=sys.stderr)
    return 0


def export(args: argparse.Namespace, registry: Registry) -> int:
    adapter = registry.get(args.provider)
    return asyncio.run(_export(adapter, connection_options(adapter, args), args.format))


async def _simulate(adapter: Adapter, port: int, time_scale: float) -> None:
    app = adapter.simulator(time_scale=time_scale)
    async with SimulatorServer(app, port=port) as server:
        print(f"{adapter.name} simulator at {server.base_url} (time scale {time_scale:g})")
        credentials = app.get(CREDENTIALS) or {}
        print("credentials: " + ", ".join(f"{k}={v}" for k, v in credentials.items()))
        print("Ctrl-C stops it", flush=True)
        await asyncio.Event().wait()


def simulate(args: argparse.Namespace, registry: Registry) -> int:
    adapter = registry.get(args.provider)
    try:
        with suppress(KeyboardInterrupt):
            asyncio.run(_simulate(adapter, args.port, args.time_scale))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise ConfigurationError(f"port {args.port} is busy: pass another --port") from None
    return 0
