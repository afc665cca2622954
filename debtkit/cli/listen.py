"""``debtkit listen``: receive a provider's webhooks and write each new event as a JSON line.

The receiver is `debtkit.events.receiver`: deliveries are verified with the adapter's
``parse_webhook`` and the secret from an environment variable (never from the command line,
where other users could read it, and never printed), duplicates are dropped through the
``--seen`` store, and each new event goes to stdout or ``--output`` as one JSON line (the
neutral event with the provider's payload under ``raw``). An event is acknowledged to the
provider only once its line is written and flushed.

``--seen`` (else the variable ``DEBTKIT_SEEN``, else memory) is a SQLite file's path, or a
``postgresql://`` or ``redis://`` URL for replicas of one receiver behind a load balancer,
sharing the store so that each event is written once by one of them. A URL with a password
belongs in ``DEBTKIT_SEEN`` rather than on the command line; it is shown without it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack, suppress
from typing import IO

from debtkit.conversion import unstructure
from debtkit.errors import ConfigurationError
from debtkit.events import CaseEvent, MemorySeenStore, SeenStore, seen_store_for, webhook_app
from debtkit.plugin import Adapter
from debtkit.registry import Registry
from debtkit.simulator import SimulatorServer

__all__ = ["SEEN_ENV", "add_parser", "event_line", "listen", "serve"]

SEEN_ENV = "DEBTKIT_SEEN"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser("listen", help="receive webhooks and print each new event as JSON")
    command.add_argument("--provider", required=True)
    command.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    command.add_argument("--host", default="127.0.0.1", help="address to listen on")
    command.add_argument("--path", default="/", help="URL path deliveries are posted to")
    command.add_argument(
        "--secret-env", required=True, metavar="NAME", help="environment variable with the secret"
    )
    command.add_argument("--output", help="append JSON lines to this file (default: stdout)")
    command.add_argument(
        "--seen",
        metavar="PATH|URL",
        help=f"handled event ids: a SQLite file, or a postgresql:// or redis:// URL shared by "
        f"replicas (default: ${SEEN_ENV}, else in memory)",
    )


def event_line(event: CaseEvent) -> str:
    return json.dumps(unstructure(event), ensure_ascii=False, separators=(",", ":"))


def _secret(name: str) -> str:
    value = os.environ.get(name, "")
    if not value.strip():
        raise ConfigurationError(f"the webhook secret variable ${name} is not set")
    return value.strip()


async def serve(
    adapter: Adapter,
    secret: str,
    *,
    output: IO[str],
    seen: SeenStore,
    host: str = "127.0.0.1",
    port: int = 8000,
    path: str = "/",
    on_ready: Callable[[str], object] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Receive until `stop` is set (forever without one)."""

    async def write(event: CaseEvent) -> None:
        output.write(event_line(event) + "\n")
        output.flush()

    app = webhook_app(adapter, secret, write, path=path, seen=seen)
    async with SimulatorServer(app, host=host, port=port) as server:
        if on_ready is not None:
            on_ready(server.origin + path)
        await (stop or asyncio.Event()).wait()


async def _listen(args: argparse.Namespace, adapter: Adapter, secret: str, output: IO[str]) -> None:
    async with AsyncExitStack() as stack:
        seen: SeenStore = MemorySeenStore()
        spec = args.seen or os.environ.get(SEEN_ENV, "").strip()
        if spec:
            seen = await stack.enter_async_context(seen_store_for(spec))

        def ready(url: str) -> None:
            print(f"{adapter.name} webhooks at {url}; Ctrl-C stops", file=sys.stderr, flush=True)

        await serve(
            adapter, secret, output=output, seen=seen,
            host=args.host, port=args.port, path=args.path, on_ready=ready,
        )  # fmt: skip


def listen(args: argparse.Namespace, registry: Registry) -> int:
    adapter = registry.get(args.provider)
    secret = _secret(args.secret_env)
    with ExitStack() as stack:
        output: IO[str] = sys.stdout
        if args.output:
            try:
                output = stack.enter_context(open(args.output, "a", encoding="utf-8"))
            except OSError as exc:
                raise ConfigurationError(f"cannot write {args.output}: {exc.strerror}") from None
        with suppress(KeyboardInterrupt):
            asyncio.run(_listen(args, adapter, secret, output))
    return 0
