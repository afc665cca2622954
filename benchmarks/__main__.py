"""`python -m benchmarks [--quick] [name ...]`: run benchmarks and print one table."""

from __future__ import annotations

import argparse
import importlib

from benchmarks.report import table

ALL = (
    "budget",
    "shared_budget",
    "throughput",
    "overhead",
    "validation",
    "memory",
    "import_cpu",
    "peer",
    "sync",
    "ledger",
    "fleet",
    "lost_responses",
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", default=list(ALL))
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    figures = []
    for name in args.names:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            print(f"(skipping {name}: {exc})")
            continue
        found = module.run(quick=args.quick)
        print(table(found), flush=True)
        figures += found
    print("\nAll figures\n")
    print(table(figures))


if __name__ == "__main__":
    main()
