"""``chaosrun rollback --accept-drift RUN_ID``: settle drift a human has checked.

A change in drift (the resource was changed by someone else after injection) stays pending, so
its lock tag stays and every rollback exits 4, until someone decides the resource's current state
is right. This records that decision: for each drifted change of the one named run (or only the
``--entry`` ids given) it removes the run's lock tag, then appends a settling ``accepted``
record to the ledger saying who accepted it, when, why, and the state accepted (the earlier
``drift`` records stay in the history). It never writes to the resource. Changes that are
pending for another reason (never restored, a failed restore) are left for ``chaosrun rollback``.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
from collections.abc import Sequence

from chaosrun.cli.cmd_rollback import EXIT_INCOMPLETE
from chaosrun.cli.main import EXIT_INVALID
from chaosrun.ledger import Ledger, LedgerEntry, LedgerRun, now
from chaosrun.targets import RestoreResult, RestoreStatus

EXIT_OK = 0


def who() -> str:
    """``user@host`` of whoever runs the command, for the audit record."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (containers): the uid still identifies
        user = f"uid {os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def drifted(run: LedgerRun) -> list[LedgerEntry]:
    """Pending changes whose last restore found drift."""
    return [
        e
        for e in run.pending
        if e.last_result is not None and e.last_result.status is RestoreStatus.DRIFT
    ]


def _chosen(run: LedgerRun, entry_ids: Sequence[str]) -> list[LedgerEntry] | None:
    """The drifted entries to accept; None (after saying why) when an id is not one of them."""
    candidates = drifted(run)
    if not entry_ids:
        return candidates
    by_id = {e.intent.entry_id: e for e in candidates}
    unknown = [i for i in entry_ids if i not in by_id]
    if unknown:
        choices = ", ".join(f"{e.intent.entry_id} ({e.intent.target})" for e in candidates)
        print(
            f"error: {', '.join(unknown)}: not a drifted change of run {run.run.run_id}; "
            f"drifted changes: {choices or 'none'}",
            file=sys.stderr,
        )
        return None
    return [by_id[i] for i in dict.fromkeys(entry_ids)]


def _release_locks(ledger: Ledger, run: LedgerRun, accepted: list[LedgerEntry]) -> str | None:
    """Remove the run's lock tag from targets with nothing else pending; the error, if any."""
    # imported here: boto3 and the fault runtime are not needed to parse the command line
    from chaosrun.aws.locks import TagLocks
    from chaosrun.faults.runtime import clients_for_run

    ids = {e.intent.entry_id for e in accepted}
    still_held = {e.intent.target.arn for e in run.pending if e.intent.entry_id not in ids}
    targets = list({e.intent.target for e in accepted if e.intent.target.arn not in still_held})
    try:
        TagLocks(clients_for_run(ledger, run.run.run_id), run.run.run_id).release(targets)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def accept_drift(
    ledger: Ledger, run_id: str, entry_ids: Sequence[str], *, force: bool, reason: str
) -> int:
    if not ledger.path(run_id).exists():
        print(f"error: no run {run_id} in {ledger.directory}", file=sys.stderr)
        return EXIT_INVALID
    run = ledger.load(run_id)
    if run.is_alive() and not force:
        print(
            f"run {run_id}: its process {run.run.pid} is still running and may still restore "
            "these changes; nothing accepted. Wait for it to finish, or add --force."
        )
        return EXIT_INCOMPLETE
    accepted = _chosen(run, entry_ids)
    if accepted is None:
        return EXIT_INVALID
    if not accepted:
        print(
            f"run {run_id}: no change in drift to accept ({len(run.pending)} pending). Restore "
            f"pending changes with `chaosrun rollback --run {run_id}`; drift it reports can then "
            "be accepted."
        )
        return EXIT_INCOMPLETE if run.pending else EXIT_OK
    error = _release_locks(ledger, run, accepted)
    if error is not None:
        print(
            f"run {run_id}: could not remove the lock tags ({error}); nothing accepted. Check "
            "the tagging permissions of this identity and run the command again."
        )
        return EXIT_INCOMPLETE
    note = f"drift accepted by {who()} at {now().isoformat()}" + (f": {reason}" if reason else "")
    print(f"run {run_id}: {note}")
    for entry in accepted:
        current = entry.last_result.current if entry.last_result else None
        result = RestoreResult(status=RestoreStatus.ACCEPTED, detail=note, current=current)
        ledger.restored(run_id, entry.intent.entry_id, result)
        print(f"  [accepted] {entry.intent.target} (entry {entry.intent.entry_id}), now {current}")
    left = ledger.load(run_id).pending
    if not left:
        ledger.end(run_id)
        return EXIT_OK
    print(f"  {len(left)} change(s) of run {run_id} still pending; see `chaosrun rollback`")
    return EXIT_INCOMPLETE
