"""``python -m debtkit_getbill.simulator --port 8080``: serve the GetBill simulator."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from aiohttp import web

from debtkit.simulator import Faults
from debtkit_getbill.simulator.app import API_PREFIX, create_app

logger = logging.getLogger("debtkit.getbill.simulator")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m debtkit_getbill.simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--client-id", default="sim-client")
    parser.add_argument("--client-secret", default="sim-secret")
    parser.add_argument("--token-ttl", type=float, default=3600.0)
    parser.add_argument("--write-limit", type=int, default=500)
    parser.add_argument("--read-limit", type=int, default=1000)
    parser.add_argument("--time-scale", type=float, default=1.0, help="3600: an hour per second")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--server-errors", type=float, default=0.0, help="probability of a 500")
    parser.add_argument("--webhook-url", help="deliver signed webhooks here")
    parser.add_argument("--webhook-secret", help="the simulator's webhook secret (test value)")
    args = parser.parse_args(argv)
    faults = None
    if args.latency or args.server_errors:
        faults = Faults(latency=args.latency, server_error=args.server_errors)
    app = create_app(
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl=args.token_ttl,
        write_limit=args.write_limit,
        read_limit=args.read_limit,
        time_scale=args.time_scale,
        faults=faults,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
    )
    logging.basicConfig(level=logging.INFO)
    logger.info("GetBill simulator at http://%s:%d%s", args.host, args.port, API_PREFIX)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
