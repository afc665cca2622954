"""The `debtkit` command line."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from importlib.resources import as_file, files
from pathlib import Path

from debtkit.errors import ConfigurationError, DebtkitError
from debtkit.files import read_debts
from debtkit.registry import Registry
from debtkit.validation import PolicyRule, Validator

EXAMPLE = "example-debts.jsonl"


def _validate(args: argparse.Namespace) -> int:
    rules: Sequence[PolicyRule] = ()
    if args.provider:
        rules = Registry().get(args.provider).policy_rules()
    validator = Validator(rules, relax=args.relax or ())
    resource = files("debtkit.data").joinpath(EXAMPLE) if args.example else None
    with as_file(resource) if resource is not None else nullcontext() as example:
        path = Path(example) if example is not None else Path(args.file)
        if not path.is_file():
            raise ConfigurationError(f"no such file: {path}")
        total = invalid = 0
        codes: Counter[str] = Counter()
        for row in read_debts(path):
            total += 1
            problems = list(row.problems)
            if row.debt is not None:
                problems += validator.check(row.debt).problems
            if problems:
                invalid += 1
                codes.update(p.code for p in problems)
                for problem in problems:
                    print(f"{path.name}:{row.line}: {problem}")
    label = f" for {args.provider}" if args.provider else ""
    print(f"validated {total} debts{label}: {total - invalid} valid, {invalid} invalid")
    if codes:
        print("problems by code: " + ", ".join(f"{c}={n}" for c, n in codes.most_common()))
    return 1 if invalid else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="debtkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check every debt of a JSONL file locally")
    source = validate.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="JSONL file, one debt per line")
    source.add_argument("--example", action="store_true", help="use the bundled example file")
    validate.add_argument("--provider", help="also apply this provider's policy rules")
    validate.add_argument("--relax", action="append", help="policy rule to skip (repeatable)")
    validate.set_defaults(run=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except DebtkitError as exc:
        print(f"debtkit: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
