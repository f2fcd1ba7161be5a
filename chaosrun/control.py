"""Chaos Toolkit control: restore chaosrun faults under plain ``chaos run``.

Plain ``chaos run`` skips rollbacks after SIGINT/SIGTERM or a failed activity, and knows nothing
of chaosrun's ledger. Declare this control and every fault a chaosrun provider injected in that
run is restored -- before the declared rollbacks, and again (idempotently) when the experiment
ends, whatever happened:

.. code-block:: yaml

    controls:
      - name: chaosrun
        provider:
          type: python
          module: chaosrun.control

Restore results are added to the CTK journal under ``chaosrun_restore``. Anything that could not
be restored is logged, stays in the ledger, and ``chaosrun rollback`` restores it later.
Under ``chaosrun run`` this control is not needed (the engine restores itself) and does nothing.

A fault injected under plain ``chaos run`` *without* this control logs a warning naming it, and
its run is restored when the Python process exits (a process killed outright cannot: then
``chaosrun rollback --run RUN`` does it). At exit, fault calls still in flight (the process
exits on a signal while a fan-out runs) are cancelled and waited for first; one still running
after :data:`EXIT_GRACE` seconds leaves the run unrestored, for ``chaosrun rollback``.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

from chaosrun.faults.providers import IN_FLIGHT
from chaosrun.faults.runtime import (
    FAULT_GRACE_S,
    FaultContext,
    active_context,
    current_context,
    restore_run,
    set_active_context,
)

log = logging.getLogger("chaosrun.control")
_lock = threading.Lock()
_results: list[dict[str, Any]] = []
#: set while an experiment that declares this control runs (configure -> cleanup)
_declared = threading.Event()
#: standalone runs already warned about (once per run)
_guarded: set[str] = set()
#: standalone runs the exit hook restores (run id -> context)
_exit_restores: dict[str, FaultContext] = {}
#: seconds to wait at exit for fault calls in flight
EXIT_GRACE = FAULT_GRACE_S


def _restore(configuration: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Restore the standalone context's run; a no-op when nothing is pending."""
    with _lock:
        ctx: FaultContext = active_context(configuration)
        ledger = ctx.ledger
        if ctx.dry_run or not ledger.path(ctx.run_id).exists():
            return []
        if not ledger.load(ctx.run_id).pending:
            return []
        results = restore_run(ledger, ctx.clients, ctx.run_id)
        out = []
        for entry, result in results:
            out.append(
                {
                    "run_id": ctx.run_id,
                    "target": entry.intent.target.model_dump(mode="json"),
                    "fault": entry.intent.fault,
                    "status": result.status.value,
                    "detail": result.detail,
                }
            )
            if result.ok:
                log.info("chaosrun restored %s: %s", entry.intent.target, result.status.value)
            else:
                log.error(
                    "chaosrun could not restore %s: %s %s. Run `chaosrun rollback --run %s`.",
                    entry.intent.target,
                    result.status.value,
                    result.detail,
                    ctx.run_id,
                )
        _results.extend(out)
        return out


def guard_standalone(ctx: FaultContext) -> None:
    """Called by a fault provider before injecting under plain ``chaos run``: without this
    control nothing would restore the fault, so say so (once per run) and restore at exit."""
    with _lock:
        if _declared.is_set() or ctx.run_id in _guarded:
            return
        _guarded.add(ctx.run_id)
        _exit_restores[ctx.run_id] = ctx
    log.warning(
        "chaosrun fault injected under plain `chaos run` without chaosrun's control, so the "
        "experiment will not restore it. Declare the control in the experiment (controls: "
        "[{name: chaosrun, provider: {type: python, module: chaosrun.control}}]). Run %s will "
        "be restored when this process exits; if it is killed, run "
        "`chaosrun rollback --run %s`.",
        ctx.run_id,
        ctx.run_id,
    )
    _at_exit(_restore_at_exit, ctx)


def _at_exit(func: Any, *args: Any) -> None:
    """Run ``func`` when the process exits, while thread pools still take work (restore uses
    them, and plain ``atexit`` runs after ``concurrent.futures`` has shut them down): CPython's
    hook for that, which runs hooks registered later (this one) first; ``atexit`` elsewhere."""
    import concurrent.futures.thread  # noqa: F401  (its exit hook must be registered before ours)

    register = getattr(threading, "_register_atexit", None) or atexit.register
    register(func, *args)


def unregister_exit_restore(run_id: str | None = None) -> None:
    """Do not restore ``run_id`` (every run if None) at exit: its owner restores it itself."""
    with _lock:
        if run_id is None:
            _exit_restores.clear()
        else:
            _exit_restores.pop(run_id, None)


def _restore_at_exit(ctx: FaultContext) -> None:
    """Restore a guarded run unless it was unregistered or someone took it over (the control or
    an engine replaced or cleared the active context) -- they restore it themselves.

    Fault calls still in flight are cancelled and waited for first. If one is still running
    after :data:`EXIT_GRACE`, the run is left alone: a write landing after the restore would
    stay while the ledger said settled and the lock was gone; left pending (and locked), it is
    restored by ``chaosrun rollback`` once this process is gone.
    """
    with _lock:
        if _exit_restores.pop(ctx.run_id, None) is not ctx or current_context() is not ctx:
            return
    if not IN_FLIGHT.cancel_and_wait(ctx, EXIT_GRACE):
        log.error(
            "chaosrun did not restore run %s at exit: a fault call was still running after "
            "%.0f s, and a restore now could be undone by its late write. Once this process "
            "has exited, run `chaosrun rollback --run %s`.",
            ctx.run_id,
            EXIT_GRACE,
            ctx.run_id,
        )
        return
    _restore_logged(
        None, f"chaosrun restore at exit failed. Run `chaosrun rollback --run {ctx.run_id}`"
    )


def _restore_logged(configuration: dict[str, Any] | None, failure: str) -> None:
    """``_restore`` for a control: never raises into Chaos Toolkit; logs ``failure`` instead."""
    try:
        _restore(configuration)
    except Exception:
        log.exception(failure)


def configure_control(**kwargs: Any) -> None:
    """Chaos Toolkit loaded this control: the experiment restores its faults itself."""
    _declared.set()


def cleanup_control() -> None:
    """The experiment that declared this control is over."""
    _declared.clear()


def before_rollback_control(
    context: Any,
    state: Any = None,
    experiment: Any = None,
    configuration: dict[str, Any] | None = None,
    secrets: Any = None,
    **kwargs: Any,
) -> None:
    """Restore faults before the experiment's declared rollbacks run."""
    _restore_logged(
        configuration, "chaosrun restore before rollbacks failed; trying again at the end"
    )


def after_experiment_control(
    context: Any,
    state: Any = None,
    experiment: Any = None,
    configuration: dict[str, Any] | None = None,
    secrets: Any = None,
    **kwargs: Any,
) -> None:
    """Restore whatever is still pending (rollbacks skipped, signals), annotate the journal,
    and forget the run so the next experiment in this process gets a new one."""
    _restore_logged(
        configuration,
        "chaosrun restore at the end of the experiment failed. Run `chaosrun rollback` to restore "
        "what is left",
    )
    with _lock:
        if isinstance(state, dict):
            state["chaosrun_restore"] = list(_results)
        _results.clear()
        set_active_context(None)
