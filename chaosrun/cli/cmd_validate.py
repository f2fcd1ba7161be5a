"""``chaosrun validate FILE_OR_DIR...``: check experiment files without touching AWS.

Prints ``OK <file>`` for each valid file and ``file:line: field: message`` for every issue in
the others. Exit 0 when all files are valid, 2 otherwise (or when nothing was found to check).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK = 0
EXIT_INVALID = 2


def add_variable_arguments(parser: argparse.ArgumentParser) -> None:
    """``--var`` and ``--var-file``, as ``chaos run`` has them (shared with ``chaosrun run``)."""
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME[:TYPE]=VALUE",
        help="override a configuration value (TYPE: str, int, float, bytes, bool, json)",
    )
    parser.add_argument(
        "--var-file",
        action="append",
        default=[],
        metavar="FILE",
        help="JSON/YAML file with configuration: and secrets: keys, or a .env file",
    )


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check experiment files (schema, typos, fault arguments) without running them",
        description=(
            "Validate experiment files: Chaos Toolkit schema, misspelled keys, tolerances, refs, "
            "arguments of chaosrun faults and probes, reusable hypotheses. Directories are "
            "searched for .yaml, .yml and .json files. Nothing is sent to AWS."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="experiment files or dirs")
    add_variable_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # imported here: `chaosrun --version` and other commands need not load every plugin
    from chaosrun.experiment.loader import experiment_files, parse_variables, validate_file

    config_vars, _secret_vars = parse_variables(args.var, args.var_file)
    files = experiment_files(args.paths)
    if not files:
        print(f"error: no experiment files in {' '.join(args.paths)}", file=sys.stderr)
        return EXIT_INVALID
    failed = 0
    for f in files:
        issues = validate_file(f, config_vars)
        if issues:
            failed += 1
            for found in issues:
                print(found)
        else:
            print(f"OK {f}")
    if failed:
        print(f"{failed} of {len(files)} file(s) invalid", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK
