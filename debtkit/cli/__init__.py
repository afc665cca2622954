"""The `debtkit` command line: validate, import, export, simulate, demo, the shared-import
commands (worker, status), and the event and provider commands (listen, sync, credits,
followups, attach).

Exit codes:

- 0: all good (``import``: every debt created, or already there);
- 1: ``import``: some debts not created by the provider (rejected, ambiguous, or never sent
  because it could not be reached: see the results file); ``validate``: some rows invalid;
- 2: a usage or configuration error, on one line: bad arguments, an unknown provider or
  ``--rate`` limit, missing or refused credentials (401/403), a wrong base URL (404 on the
  API), a provider that cannot be reached, a refused ledger, an unreadable file, a busy port;
  ``import`` checks credentials and URL with one read before sending anything, and stops
  at once if the provider gives that answer during the import (a rerun resumes);
- 3: an unexpected internal error (a bug: one line naming its type, no traceback unless
  ``DEBTKIT_TRACEBACK=1``);
- 4: ``import``: some rows refused locally (invalid, or a reference repeated in the input),
  and none refused by the provider;
- 130: interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from debtkit._version import __version__
from debtkit.cli import attach, commands, listen, provider_commands, reading, shared, shared_budget
from debtkit.cli import sync as sync_command
from debtkit.cli.preflight import MODES as PREFLIGHT_MODES
from debtkit.errors import DebtkitError
from debtkit.registry import Registry

__all__ = ["main"]


def _source(command: argparse.ArgumentParser) -> None:
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="CSV or JSONL file of debts")
    source.add_argument("--example", action="store_true", help="use the bundled example file")
    command.add_argument(
        "--column", action="append", metavar="HEADER=PATH", help="map a CSV header to a model path"
    )
    command.add_argument("--relax", action="append", help="policy rule to skip (repeatable)")
    command.add_argument(
        "--encoding",
        help="the file's text encoding (default: UTF-8, or what its byte order mark says)",
    )
    reading.add_arguments(command)


def _connection(command: argparse.ArgumentParser) -> None:
    command.add_argument("--base-url", help="the provider's API base URL (e.g. a simulator)")
    command.add_argument(
        "--credential", action="append", metavar="NAME=VALUE", help="instead of the environment"
    )


def _sending(command: argparse.ArgumentParser) -> None:
    """What sending debts to an account takes: `import` and `worker` share these."""
    command.add_argument("--provider", required=True, help="the provider to send the debts to")
    command.add_argument(
        "--rate",
        action="append",
        metavar="NAME=COUNT[/SECONDS]",
        help="the account's plan for one of the adapter's rate limits (GetBill: write, read;"
        " Debitura: minute, hour, day), e.g. write=100/60 (repeatable)",
    )
    command.add_argument("--concurrency", type=int, default=8, help="requests in flight at most")
    command.add_argument("--batch-size", type=int, default=1000, help="debts per batch request")
    command.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="the simulator's time scale, if importing into one",
    )
    shared_budget.add_argument(command)
    _connection(command)


IMPORT_EPILOG = """exit codes: 0 every debt created (or already there); 1 some debts not created
by the provider (rejected, ambiguous, not sent); 2 a usage or configuration error (e.g. refused
credentials, a wrong --base-url, an unreachable provider: nothing sent, or the import stopped
at once; a rerun resumes); 3 an internal error; 4 only rows refused locally (invalid)."""


def _parser(providers: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="debtkit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="check every debt of a file locally")
    _source(validate)
    validate.add_argument("--provider", help="also apply this provider's policy rules")

    run = sub.add_parser(
        "import", help="send a file of debts to a provider, resumably", epilog=IMPORT_EPILOG
    )
    _source(run)
    _sending(run)
    run.add_argument(
        "--ledger",
        help="without --import: this run's journal file (default: beside the input); with"
        " --import, or as a postgresql:// or sqlite:/// URL: a shared ledger, a file for"
        " workers on one host or PostgreSQL for any hosts (default: $DEBTKIT_LEDGER)",
    )
    run.add_argument("--results", help="results JSONL (default: beside the input)")
    shared.add_arguments(run, import_id_required=False)
    run.add_argument("--dry-run", action="store_true", help="validate and estimate, send nothing")
    run.add_argument(
        "--ledger-lost",
        action="store_true",
        help="the ledger of an earlier run is gone or empty (move a damaged one aside first):"
        " rebuild it, looking every debt up at the provider before sending it",
    )
    run.add_argument(
        "--results-include-case",
        action="store_true",
        help="write each provider case in full (with the debtor's personal data) to the results",
    )
    run.add_argument(
        "--option",
        action="append",
        metavar="NAME=VALUE",
        help="a provider option for every row, VALUE read as JSON if it parses (true, 3) and"
        " as text otherwise, e.g. accept_expensive_destination=true (repeatable)",
    )
    run.add_argument(
        "--preflight",
        choices=PREFLIGHT_MODES,
        default="warn",
        help="before sending, ask the provider what would go wrong (GetBill: credits against "
        "the estimate; Debitura: coverage): warn (default), refuse to send, or off",
    )

    worker = sub.add_parser(
        "worker",
        help="join an import in a shared ledger and send its debts until none is left",
        epilog=IMPORT_EPILOG,
    )
    _sending(worker)
    worker.add_argument(
        "--ledger",
        help="the shared ledger: a file (workers on one host) or a postgresql:// URL"
        " (default: $DEBTKIT_LEDGER)",
    )
    worker.add_argument("--results", help="results JSONL of the debts this worker settled")
    shared.add_arguments(worker, import_id_required=True)

    status = sub.add_parser("status", help="count an import's debts per state")
    status.add_argument(
        "--ledger",
        help="the shared ledger: a file (workers on one host) or a postgresql:// URL"
        " (default: $DEBTKIT_LEDGER)",
    )
    status.add_argument("--import", dest="import_id", required=True, help="the import's id")

    export = sub.add_parser("export", help="write every case a provider holds")
    export.add_argument("--provider", required=True, help="the provider to read the cases of")
    export.add_argument(
        "--format", choices=("jsonl", "csv"), default="jsonl", help="output format on stdout"
    )
    _connection(export)

    attach.add_parser(sub, _connection)

    simulate = sub.add_parser("simulate", help="run a provider simulator on loopback")
    simulate.add_argument("--provider", required=True, help="the provider to simulate")
    simulate.add_argument("--port", type=int, default=8080, help="loopback port (default 8080)")
    simulate.add_argument(
        "--time-scale", type=float, default=1.0, help="3600 makes an hour last 1s"
    )

    provider_commands.add_parsers(sub, _connection)

    demo = sub.add_parser("demo", help="import the example file into both built-in simulators")
    demo.add_argument(
        "--time-scale", type=float, default=3600.0, help="3600 (default) makes an hour last 1s"
    )
    listen.add_parser(sub)
    sync_command.add_parser(sub)
    _list_providers(parser, providers)
    return parser


def _list_providers(parser: argparse.ArgumentParser, providers: Sequence[str]) -> None:
    """Name the installed adapters in every --provider option's help (an unknown name is
    refused in one line by the registry, with the same list)."""
    installed = f"installed: {', '.join(providers) or 'none'}"
    for command in _commands(parser):
        for action in command._actions:
            if action.dest == "provider":
                action.help = f"{action.help or 'the provider'} ({installed})"


def _commands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parser and every sub-command's parser."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                found += _commands(command)
    return found


def main(argv: Sequence[str] | None = None, registry: Registry | None = None) -> int:
    registry = registry or Registry()
    args = _parser(registry.names()).parse_args(argv)
    try:
        if args.command == "validate":
            return commands.validate(args, registry)
        if args.command == "import":
            return commands.import_(args, registry)
        if args.command == "worker":
            return commands.worker(args, registry)
        if args.command == "status":
            return shared.status(args, registry)
        if args.command == "export":
            return commands.export(args, registry)
        if args.command == "attach":
            return attach.attach(args, registry)
        if args.command == "simulate":
            return commands.simulate(args, registry)
        if args.command == "listen":
            return listen.listen(args, registry)
        if args.command == "sync":
            return sync_command.sync(args, registry)
        if args.command in provider_commands.COMMANDS:
            return provider_commands.COMMANDS[args.command](args, registry)
        from debtkit.cli.demo import demo

        return demo(registry, args.time_scale)
    except DebtkitError as exc:
        print(f"debtkit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("debtkit: interrupted; rerun with the same ledger to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # last line of defence: one clear line, never a traceback
        if os.environ.get("DEBTKIT_TRACEBACK") == "1":
            raise
        # The message may quote input data (personal data): name the type only.
        print(
            f"debtkit: internal error ({type(exc).__name__}); this is a bug, please report it"
            " (DEBTKIT_TRACEBACK=1 shows where)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
