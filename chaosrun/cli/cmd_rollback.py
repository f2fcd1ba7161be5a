"""``chaosrun rollback``: restore what earlier runs left behind (killed, crashed, drift).

Reads the restore ledger, skips runs whose process is still alive (unless ``--force``), restores
every unsettled change of the others, last change first, and prints each result. Idempotent: a
second rollback finds nothing to do. Exit 0 when everything is settled, 4 otherwise, including
when a skipped live run still has pending changes (they are not settled yet).
``--accept-drift RUN_ID`` settles checked drift instead (see :mod:`chaosrun.cli.accept_drift`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chaosrun.ledger import Ledger, LedgerEntry, LedgerRun
from chaosrun.targets import RestoreResult

EXIT_INCOMPLETE = 4


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "rollback",
        help="restore changes left by killed or crashed runs",
        description=(
            "Restore every unsettled change recorded in the ledger. Runs whose process is still "
            "alive on this host are skipped unless --force. Exit 0 when all settled, 4 otherwise "
            "(also when a skipped live run still has pending changes)."
        ),
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--run", metavar="RUN_ID", help="only this run")
    which.add_argument(
        "--accept-drift",
        metavar="RUN_ID",
        help=(
            "after checking the resources by hand: settle this run's changes in drift as they "
            "are (nothing is written to them), remove their lock tags, record who and when"
        ),
    )
    p.add_argument(
        "--ledger", metavar="DIR", help="ledger directory (default: $CHAOSRUN_HOME/ledger)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="also restore (or settle, with --accept-drift) runs whose process is still alive",
    )
    p.add_argument(
        "--entry",
        metavar="ENTRY_ID",
        action="append",
        default=[],
        help="with --accept-drift: only this drifted change (repeatable; ids are printed)",
    )
    p.add_argument("--reason", default="", help="with --accept-drift: recorded in the ledger")
    p.set_defaults(handler=handle)


def _print_result(entry: LedgerEntry, result: RestoreResult) -> None:
    mark = "ok" if result.ok else "!!"
    detail = f" - {result.detail}" if result.detail else ""
    current = f" (now {result.current})" if result.current is not None else ""
    entry_id = "" if result.ok else f" [entry {entry.intent.entry_id}]"
    print(f"  [{mark}] {entry.intent.target}: {result.status.value}{detail}{current}{entry_id}")


def rollback_run(ledger: Ledger, run: LedgerRun) -> bool:
    """Restore one run; True when nothing of it is left pending."""
    # imported here: the fault runtime loads every plugin and boto3, which `chaosrun --help` skips
    from chaosrun.faults.runtime import clients_for_run, restore_run

    run_id = run.run.run_id
    print(f"run {run_id} ({run.run.experiment or 'unnamed'}): {len(run.pending)} pending")
    try:
        clients = clients_for_run(ledger, run_id)
        restore_run(ledger, clients, run_id, on_result=_print_result)
        left = ledger.load(run_id).pending
    except Exception as exc:
        print(f"  [!!] rollback of {run_id} failed: {type(exc).__name__}: {exc}")
        return False
    if left:
        print(
            f"  {len(left)} change(s) still not restored; check them by hand (drift/failure). "
            f"Once checked, settle drift with `chaosrun rollback --accept-drift {run_id}`."
        )
    return not left


def handle(args: argparse.Namespace) -> int:
    ledger = Ledger(args.ledger) if args.ledger else Ledger()
    if (args.entry or args.reason) and not args.accept_drift:
        print("error: --entry and --reason only go with --accept-drift RUN_ID", file=sys.stderr)
        return 2
    if args.accept_drift:
        from chaosrun.cli.accept_drift import accept_drift

        return accept_drift(
            ledger, args.accept_drift, args.entry, force=args.force, reason=args.reason
        )
    if args.run:
        if not ledger.path(args.run).exists():
            print(f"error: no run {args.run} in {ledger.directory}", file=sys.stderr)
            return 2
        runs = [ledger.load(args.run)]
    else:
        runs = ledger.pending_runs()
    runs = [r for r in runs if r.pending]
    if not runs:
        print(f"nothing to restore in {ledger.directory}")
        return 0
    settled = True
    for run in runs:
        if run.is_alive() and not args.force:
            run_id = run.run.run_id
            print(
                f"run {run_id}: skipped, its process {run.run.pid} is still running and restores "
                f"itself; {len(run.pending)} change(s) still pending. Wait for it to finish and "
                f"run `chaosrun rollback` again, or, if that process is stuck, restore now with "
                f"`chaosrun rollback --run {run_id} --force`"
            )
            settled = False
            continue
        settled = rollback_run(ledger, run) and settled
    return 0 if settled else EXIT_INCOMPLETE
