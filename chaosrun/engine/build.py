"""Turning a finished run into its :class:`Journal`: verdict, status, environment, scrubbing."""

from __future__ import annotations

import getpass
import os
import platform
import socket
from typing import Any

import chaoslib

from chaosrun import __version__
from chaosrun.engine.options import RunOptions
from chaosrun.engine.scrub import Scrubber
from chaosrun.engine.state import RunState, StopReason
from chaosrun.faults.runtime import FaultContext
from chaosrun.journal.model import (
    ChaosrunSection,
    Environment,
    Journal,
    SteadyStates,
    Verdict,
)
from chaosrun.ledger import now

#: journal keys holding timestamps or series numbers; never scrubbed so the journal stays valid
#: (a secret "12.5" must not turn a series value into "***")
TIMESTAMP_KEYS = frozenset(
    {
        "at",
        "start",
        "end",
        "started",
        "ended",
        "injected_at",
        "restored_at",
        "deviated_at",
        "points",
        "offsets",
        "values",
    }
)


def decide(state: RunState) -> tuple[Verdict, str]:
    """Worst outcome first: something left impaired > deviation > abort > held."""
    if state.restore_problems or state.rollback_failures:
        problems = [*state.restore_problems, *state.rollback_failures]
        return Verdict.RESTORE_INCOMPLETE, (
            f"{len(problems)} change(s) not restored: "
            + "; ".join(problems)
            + ". Something may still be impaired: check it, then run `chaosrun rollback`."
        )
    if state.stop_reason is StopReason.DEVIATION or state.deviated:
        if state.method_skipped:
            return Verdict.DEVIATED, "steady state not met before the method; method skipped"
        if state.stop_reason is StopReason.DEVIATION:
            return Verdict.DEVIATED, state.stop_message
        phase = "after the method" if state.after and not state.after.steady_state_met else ""
        return Verdict.DEVIATED, f"steady state deviated {phase or 'during the method'}"
    if state.stop_reason is not None:
        return Verdict.ABORTED, state.stop_message
    return Verdict.HELD, "steady state held; everything restored"


def ctk_status(state: RunState) -> Any:
    if state.stop_reason in (StopReason.SIGNAL, StopReason.ABORT):
        return "interrupted"
    if state.stop_reason in (StopReason.ERROR, StopReason.FAILURE):
        return "aborted"
    if state.method_skipped or state.stop_reason is StopReason.DEVIATION:
        return "failed"  # as chaoslib's fail-fast stop during the method
    return "completed"


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


def environment(ctx: FaultContext, state: RunState, options: RunOptions) -> Environment:
    settings = ctx.clients.settings
    regions = set(state.regions)
    for record in ctx.records:
        regions.update(t.target.region for t in record.targets)
    return Environment(
        account_id=state.account_id,
        regions=sorted(regions),
        profile=settings.profile,
        endpoint_url=settings.endpoint_url or os.environ.get("AWS_ENDPOINT_URL"),
        sandbox=options.sandbox,
        user=_user(),
        host=socket.gethostname(),
        chaosrun_version=__version__,
        chaoslib_version=chaoslib.__version__,
        python_version=platform.python_version(),
        platform=platform.platform(),
    )


def build_journal(
    experiment: dict[str, Any],
    ctx: FaultContext,
    state: RunState,
    options: RunOptions,
    scrubber: Scrubber,
) -> Journal:
    verdict, reason = decide(state)
    end = now()
    with ctx._lock:
        faults = [r.model_copy(deep=True) for r in ctx.records]
    section = ChaosrunSection(
        run_id=ctx.run_id,
        experiment_file=options.experiment_file,
        verdict=verdict,
        exit_code=verdict.exit_code,
        reason=reason if not ctx.dry_run else "dry run: nothing was changed",
        dry_run=ctx.dry_run,
        deviated_at=state.deviated_at,
        environment=environment(ctx, state, options),
        faults=faults,
        events=sorted(state.events, key=lambda e: e.at),
        series=list(state.series),
        measurements=list(state.measurements),
        errors=list(state.errors),
        notes=list(state.notes),
    )
    journal = Journal(
        chaoslib_version=chaoslib.__version__,
        platform=platform.platform(),
        node=socket.gethostname(),
        experiment=experiment,
        start=state.started,
        end=end,
        duration=(end - state.started).total_seconds(),
        status=ctk_status(state),
        deviated=verdict is Verdict.DEVIATED,
        steady_states=SteadyStates(before=state.before, after=state.after, during=state.during),
        run=list(state.method_runs),
        rollbacks=list(state.rollback_runs),
        chaosrun=section,
    )
    if scrubber.empty:
        return journal
    data = scrubber(journal.model_dump(mode="json"), keep=TIMESTAMP_KEYS)
    return Journal.model_validate(data)
