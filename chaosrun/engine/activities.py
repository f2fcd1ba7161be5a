"""Running one activity: ``ref`` resolution, pauses, timeouts, interruption, and interception of
registered faults and probes (called directly with the run's :class:`FaultContext`).

Each provider call runs in its own daemon thread; the calling thread waits for it, for the
activity ``timeout`` or for the stop signal, whichever comes first. A call that is not waited for
any more (timeout, stop) is ended as far as its kind allows: a process provider's process group is
killed before ``execute`` returns (it could otherwise change things again after restore), probes
get their ``stop`` event set, fault fan-outs see the context's ``cancel`` event, other providers
(python, http) cannot be interrupted and simply run out in the background.
"""

from __future__ import annotations

import copy
import logging
import threading
import traceback
from concurrent.futures import Future, wait
from typing import Any

from chaoslib import substitute
from chaoslib.activity import run_activity

from chaosrun.engine.process_provider import ProcessRun, is_process
from chaosrun.engine.state import RunState
from chaosrun.engine.stop import StopSignal, spawn
from chaosrun.errors import InvalidInput
from chaosrun.faults.runtime import FaultContext, apply_fault
from chaosrun.journal.model import ActivityRun
from chaosrun.ledger import now
from chaosrun.plugins import FAULTS, PROBES

log = logging.getLogger(__name__)


def provider_name(activity: dict[str, Any]) -> str | None:
    """``module.func`` of a python provider, else None."""
    provider = activity.get("provider") or {}
    if provider.get("type") != "python":
        return None
    return f"{provider.get('module')}.{provider.get('func')}"


def plugin_kind(activity: dict[str, Any]) -> str | None:
    """ "fault" or "probe" when the activity calls a registered chaosrun plugin."""
    name = provider_name(activity)
    if name is None:
        return None
    if FAULTS.find(name) is not None:
        return "fault"
    if PROBES.find(name) is not None:
        return "probe"
    return None


def catalogue(experiment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Named activities ``ref`` may point to: hypothesis probes, then method activities."""
    found: dict[str, dict[str, Any]] = {}
    hypothesis = experiment.get("steady-state-hypothesis") or {}
    for activity in [*hypothesis.get("probes", []), *experiment.get("method", [])]:
        if isinstance(activity, dict) and activity.get("name") and "ref" not in activity:
            found[activity["name"]] = activity
    return found


def _number(value: Any, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} must be a number of seconds, got {value!r}") from None


def _exception_lines(exc: BaseException) -> list[str]:
    return [line.rstrip("\n") for line in traceback.format_exception_only(type(exc), exc)]


class ActivityExecutor:
    def __init__(
        self,
        *,
        ctx: FaultContext,
        state: RunState,
        configuration: dict[str, Any],
        secrets: dict[str, Any],
        catalogue: dict[str, dict[str, Any]],
        dry_run: bool = False,
    ) -> None:
        self.ctx = ctx
        self.state = state
        self.configuration = configuration
        self.secrets = secrets
        self.catalogue = catalogue
        self.dry_run = dry_run
        self._faults_in_flight: set[Future[Any]] = set()
        self._lock = threading.Lock()

    # -- resolution -------------------------------------------------------------------------
    def resolve(self, activity: dict[str, Any]) -> dict[str, Any]:
        ref = activity.get("ref")
        if ref is None:
            return activity
        target = self.catalogue.get(ref)
        if target is None:
            raise InvalidInput(
                f"activity ref {ref!r} names no earlier activity; refs point to a hypothesis "
                "probe or method activity by its name"
            )
        return target

    def arguments(self, activity: dict[str, Any]) -> dict[str, Any]:
        provider = activity.get("provider") or {}
        args = copy.deepcopy(provider.get("arguments") or {})
        return dict(substitute(args, self.configuration, self.secrets) or {})

    def pauses(self, activity: dict[str, Any]) -> tuple[float | None, float | None]:
        pauses = substitute(activity.get("pauses") or {}, self.configuration, self.secrets) or {}
        return (
            _number(pauses.get("before"), "pauses.before"),
            _number(pauses.get("after"), "pauses.after"),
        )

    def timeout(self, activity: dict[str, Any]) -> float | None:
        raw = activity.get("timeout")
        if isinstance(raw, str):
            raw = substitute(raw, self.configuration, self.secrets)
        return _number(raw, "timeout")

    # -- execution --------------------------------------------------------------------------
    def execute(self, activity: dict[str, Any], phase: str, stop: StopSignal) -> ActivityRun:
        """Run ``activity`` to completion, timeout or stop; never raises for provider errors."""
        resolved = self.resolve(activity)
        name = resolved.get("name", "?")
        before, after = self.pauses(resolved)
        timeout = self.timeout(resolved)
        kind = plugin_kind(resolved)

        if self.dry_run and kind != "fault":
            return ActivityRun(
                activity=copy.deepcopy(resolved), status="skipped", start=now(), phase=phase
            )
        if before and not self.dry_run and stop.wait(before):
            return ActivityRun(
                activity=copy.deepcopy(resolved),
                status="cancelled",
                start=now(),
                end=now(),
                duration=0.0,
                phase=phase,
                exception=["interrupted during pauses.before"],
            )

        probe_stop = threading.Event()
        stop.link(probe_stop)
        process = (
            ProcessRun(resolved, self.configuration, self.secrets) if is_process(resolved) else None
        )
        start = now()
        future = spawn(
            lambda: self._call(resolved, kind, probe_stop, process),
            name=f"chaosrun-activity {name}",
        )
        if kind == "fault":
            with self._lock:
                self._faults_in_flight.add(future)
            future.add_done_callback(self._fault_done)
        done = stop.wait_future(future, timeout)
        end = now()
        run = ActivityRun(
            activity=copy.deepcopy(resolved),
            status="succeeded",
            start=start,
            end=end,
            duration=(end - start).total_seconds(),
            phase=phase,
        )
        if not done:
            probe_stop.set()
            if stop.is_set():
                run.status = "cancelled"
                run.exception = ["interrupted: the run is stopping"]
            else:
                run.status = "timeout"
                run.exception = [f"ActivityTimeout: {name!r} exceeded its timeout of {timeout}s"]
                self.state.error(f"activity {name!r} timed out after {timeout}s")
            killed = process.kill() if process is not None else None
            if killed is not None:
                run.exception[-1] += f"; {killed.describe()}"
                self.state.note(f"activity {name!r}: {killed.describe()}")
        elif future.exception() is not None:
            exc = future.exception()
            assert exc is not None
            run.status = "failed"
            run.exception = _exception_lines(exc)
        else:
            run.output = future.result()

        if after and not self.dry_run and stop.wait(after) and run.status == "succeeded":
            self.state.note(f"pauses.after of {name!r} interrupted: the run is stopping")
        return run

    def _fault_done(self, future: Future[Any]) -> None:
        with self._lock:
            self._faults_in_flight.discard(future)

    def _call(
        self,
        activity: dict[str, Any],
        kind: str | None,
        stop: threading.Event,
        process: ProcessRun | None = None,
    ) -> Any:
        if process is not None:
            return process.run()
        name = provider_name(activity) or ""
        if kind == "fault":
            record = apply_fault(self.ctx, name, self.arguments(activity), activity.get("name", ""))
            return record.model_dump(mode="json")
        if kind == "probe":
            from chaosrun.probes.base import run_probe

            probe_cls = PROBES.get(name)
            output = run_probe(probe_cls, self.arguments(activity), self.ctx.clients, stop)
            self.state.add_output(output.series(), output.measurements())
            return output.model_dump(mode="json")
        return run_activity(activity, self.configuration, self.secrets)

    def wait_for_faults(self, grace: float) -> bool:
        """Wait for abandoned fault calls to return (they stop at ``ctx.cancel``).

        Restoring while a write is still in flight could let that write land after the restore.
        Returns False if some call is still running after ``grace`` seconds.
        """
        with self._lock:
            pending = list(self._faults_in_flight)
        if not pending:
            return True
        _, not_done = wait(pending, timeout=grace)
        return not not_done
