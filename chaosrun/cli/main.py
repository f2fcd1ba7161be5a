"""Entry point. Each sub-command lives in its own module exposing ``register(subparsers)``;
the module's handler returns the process exit code.

Exit codes: 0 steady state held and all restored; 1 hypothesis deviated (all restored);
2 invalid input (nothing changed); 3 run aborted or errored (all restored); 4 restore incomplete
or drift detected -- something may still be impaired. An unexpected error exits 3, never 1.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from chaosrun import __version__
from chaosrun.errors import ChaosrunError, InvalidInput

#: sub-command modules, in help order
COMMAND_MODULES = [
    "chaosrun.cli.cmd_validate",
    "chaosrun.cli.cmd_run",
    "chaosrun.cli.cmd_rollback",
    "chaosrun.cli.cmd_list",
    "chaosrun.cli.cmd_report",
    "chaosrun.cli.cmd_sandbox",
    "chaosrun.cli.cmd_gameday",
    "chaosrun.cli.cmd_schedule",
]

EXIT_INVALID = 2
EXIT_ERROR = 3


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the command line, only the sub-command it names is imported
    (``chaosrun report`` need not load the experiment loader, every fault and boto3). With no
    command line, or a word that names no sub-command, all of them (help, errors); for a bare
    ``--version``, none (it prints and exits before any sub-command is parsed)."""
    parser = argparse.ArgumentParser(
        prog="chaosrun",
        description="Chaos experiments for serverless AWS that always restore what they changed.",
    )
    parser.add_argument("--version", action="version", version=f"chaosrun {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    first = next((w for w in argv or () if not w.startswith("-")), None)
    words = set(argv or ())
    if first is None and "--version" in words and not words & {"-h", "--help"}:
        return parser
    named = [m for m in COMMAND_MODULES if m == f"chaosrun.cli.cmd_{first}"]
    for name in named or COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_INVALID
    try:
        return int(args.handler(args))
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except ChaosrunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # the reader went away (`chaosrun list faults | head`): stop quietly, as CLIs do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        # a bug or an environment problem, not a verdict: never Python's exit 1, which the
        # exit codes reserve for "hypothesis deviated"; the traceback is logged with -v
        logging.getLogger(__name__).info("unexpected error", exc_info=exc)
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (run with -v for the traceback)",
            file=sys.stderr,
        )
        return EXIT_ERROR


def entry() -> NoReturn:
    """The ``chaosrun`` command (console script and ``python -m chaosrun``): :func:`main`, then
    exit without the interpreter's last garbage-collector sweeps.

    At shutdown Python runs full collections over every object still alive -- pydantic's
    schemas, a report's journal -- before reference counting frees them anyway: 10-20 ms of a
    one-probe run, ~20 ms of a report (``docs/benchmarks.md``). ``gc.freeze()`` takes them out
    of those sweeps. ``atexit`` handlers, thread joins and stream flushing still run; only
    reference cycles alive at exit stay unfreed, as the process is ending. :func:`main` itself
    stays side-effect free for callers in Python.
    """
    from chaosrun.cli.collector import freeze_after_pauses

    freeze_after_pauses()
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
