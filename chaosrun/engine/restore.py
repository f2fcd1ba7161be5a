"""The restore phase: put back every change this run made, and record each outcome."""

from __future__ import annotations

import logging

from chaosrun.engine.state import RunState
from chaosrun.faults.runtime import FaultContext, restore_run
from chaosrun.journal.model import TargetRecord
from chaosrun.ledger import LedgerEntry, now
from chaosrun.targets import RestoreResult

log = logging.getLogger(__name__)


def _targets_by_entry(ctx: FaultContext) -> dict[str, TargetRecord]:
    with ctx._lock:
        return {t.entry_id: t for record in ctx.records for t in record.targets}


def restore_faults(ctx: FaultContext, state: RunState, skip_unfinished: bool = False) -> None:
    """Restore all unsettled ledger entries of the run; record results on the fault records.

    Anything not restored exactly (drift, failure, entries still pending) goes to
    ``state.restore_problems`` and makes the verdict ``restore_incomplete``.
    ``skip_unfinished``: see :func:`chaosrun.faults.runtime.restore_run`.
    """
    if ctx.dry_run or not ctx.ledger.path(ctx.run_id).exists():
        return
    targets = _targets_by_entry(ctx)

    def on_result(entry: LedgerEntry, result: RestoreResult) -> None:
        record = targets.get(entry.intent.entry_id)
        if record is not None:
            record.restore = result
            record.restored_at = now()
        target = entry.intent.target
        if result.ok:
            state.event("fault-restored", f"{target}: {result.status.value}")
        else:
            message = f"{target}: {result.status.value}. {result.detail}".strip()
            state.restore_problems.append(message)
            state.event("error", f"restore {message}")

    state.event("phase", "restore")
    try:
        restore_run(
            ctx.ledger,
            ctx.clients,
            ctx.run_id,
            on_result=on_result,
            skip_unfinished=skip_unfinished,
        )
        pending = ctx.ledger.load(ctx.run_id).pending
    except Exception as exc:
        log.exception("restore failed")
        state.restore_problems.append(f"restore failed: {type(exc).__name__}: {exc}")
        state.error(f"restore failed: {type(exc).__name__}: {exc}")
        return
    reported = set(state.restore_problems)
    for entry in pending:
        message = f"{entry.intent.target}: still pending in the ledger"
        last = entry.last_result
        if last is None and message not in reported:
            state.restore_problems.append(message)
