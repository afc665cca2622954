"""The `debtkit` command line: validate, import, export, simulate, demo, and the event and
provider commands (listen, sync, credits, followups, attach).

Exit codes: 0 all good; 1 some debt invalid or not created; 2 a debtkit error (bad
arguments, credentials, a refused ledger, an unreadable file...) on one line; 3 an unexpected
internal error (a bug: one line naming its type, no traceback unless ``DEBTKIT_TRACEBACK=1``);
130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from debtkit.cli import attach, commands, listen, provider_commands, reading
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="debtkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="check every debt of a file locally")
    _source(validate)
    validate.add_argument("--provider", help="also apply this provider's policy rules")

    run = sub.add_parser("import", help="send a file of debts to a provider, resumably")
    _source(run)
    run.add_argument("--provider", required=True)
    run.add_argument("--ledger", help="journal file (default: beside the input)")
    run.add_argument("--results", help="results JSONL (default: beside the input)")
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
    run.add_argument("--concurrency", type=int, default=8)
    run.add_argument("--batch-size", type=int, default=1000, help="debts per batch request")
    run.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="the simulator's time scale, if importing into one",
    )
    run.add_argument(
        "--preflight",
        choices=PREFLIGHT_MODES,
        default="warn",
        help="before sending, ask the provider what would go wrong (GetBill: credits against "
        "the estimate; Debitura: coverage): warn (default), refuse to send, or off",
    )
    _connection(run)

    export = sub.add_parser("export", help="write every case a provider holds")
    export.add_argument("--provider", required=True)
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    _connection(export)

    attach.add_parser(sub, _connection)

    simulate = sub.add_parser("simulate", help="run a provider simulator on loopback")
    simulate.add_argument("--provider", required=True)
    simulate.add_argument("--port", type=int, default=8080)
    simulate.add_argument(
        "--time-scale", type=float, default=1.0, help="3600 makes an hour last 1s"
    )

    provider_commands.add_parsers(sub, _connection)

    demo = sub.add_parser("demo", help="import the example file into both built-in simulators")
    demo.add_argument("--time-scale", type=float, default=3600.0)
    listen.add_parser(sub)
    sync_command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, registry: Registry | None = None) -> int:
    args = _parser().parse_args(argv)
    registry = registry or Registry()
    try:
        if args.command == "validate":
            return commands.validate(args, registry)
        if args.command == "import":
            return commands.import_(args, registry)
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
