"""``chaosrun sandbox up``: run the local sandbox in the foreground until Ctrl-C.

Prints the ``export`` lines that point boto3 (and chaosrun) at it, and the API / global
endpoints a probe would call.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from chaosrun.errors import InvalidInput

EXIT_OK = 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("sandbox", help="run the local AWS sandbox (moto + data plane)")
    sub = p.add_subparsers(dest="sandbox_command", metavar="ACTION")
    up = sub.add_parser("up", help="start the sandbox in the foreground; Ctrl-C stops it")
    up.add_argument("--port", type=int, default=4566, help="AWS endpoint port (0 = any free)")
    up.add_argument(
        "--regions",
        default="us-east-1,eu-west-1",
        help="comma-separated regions with API endpoints (first = default region)",
    )
    up.add_argument("--no-app", action="store_true", help="do not deploy the sample orders app")
    up.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiply simulated intervals (health checks, replication, alarms) by this",
    )
    up.set_defaults(handler=run_up)
    p.set_defaults(handler=lambda args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def describe(sb: Any) -> list[str]:
    """The lines ``sandbox up`` prints once the sandbox is running."""
    lines = [f"export {k}={v}" for k, v in sb.env().items()]
    for region, url in sorted(sb.context.api_endpoints.items()):
        lines.append(f"# API endpoint {region}: {url}")
    if sb.context.global_endpoint:
        lines.append(f"# global endpoint: {sb.context.global_endpoint}")
    return lines


def run_up(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    from chaosrun.sandbox import Sandbox

    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    if not regions:
        raise InvalidInput("--regions needs at least one region, e.g. --regions us-east-1")
    if args.time_scale <= 0:
        raise InvalidInput("--time-scale must be greater than 0, e.g. --time-scale 0.1")
    stop = stop or threading.Event()
    sb = Sandbox(
        regions=regions, time_scale=args.time_scale, port=args.port, deploy_app=not args.no_app
    )
    try:
        sb.start()
    except OSError as exc:
        raise InvalidInput(
            f"cannot listen on 127.0.0.1:{args.port} ({exc}); pick another --port or 0"
        ) from exc
    try:
        for line in describe(sb):
            print(line)
        print("# sandbox running; Ctrl-C stops it", flush=True)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        sb.stop()
        print("# sandbox stopped", file=sys.stderr)
    return EXIT_OK
