"""Evaluating the steady-state hypothesis, once (before/after) or repeatedly (the monitor)."""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from typing import Any

from chaoslib import substitute
from chaoslib.hypothesis import within_tolerance

from chaosrun.engine.activities import ActivityExecutor
from chaosrun.engine.stop import StopSignal
from chaosrun.journal.model import Phase, SteadyStateCheck
from chaosrun.ledger import now

log = logging.getLogger(__name__)


def hypothesis_probes(experiment: dict[str, Any]) -> list[dict[str, Any]]:
    hypothesis = experiment.get("steady-state-hypothesis") or {}
    return list(hypothesis.get("probes") or [])


def check_hypothesis(
    executor: ActivityExecutor,
    probes: list[dict[str, Any]],
    phase: Phase,
    stop: StopSignal,
) -> SteadyStateCheck:
    """Run every probe in order; the first failed probe or missed tolerance ends the check."""
    at = now()
    runs = []
    met = True
    for probe in probes:
        run = executor.execute(probe, phase, stop)
        runs.append(run)
        if run.status != "succeeded":
            run.tolerance_met = False
            met = False
            break
        resolved = executor.resolve(probe)
        tolerance = copy.deepcopy(resolved.get("tolerance"))
        if isinstance(tolerance, str):
            tolerance = substitute(tolerance, executor.configuration, executor.secrets)
        try:
            ok = bool(
                within_tolerance(
                    tolerance,
                    run.output,
                    configuration=executor.configuration,
                    secrets=executor.secrets,
                )
            )
        except Exception as exc:
            ok = False
            run.exception = [f"tolerance could not be checked: {type(exc).__name__}: {exc}"]
        run.tolerance_met = ok
        if not ok:
            met = False
            break
    return SteadyStateCheck(phase=phase, at=at, steady_state_met=met, probes=runs)


class Monitor:
    """Re-checks the hypothesis every ``interval`` seconds while the method runs (the first time
    as it starts with ``check_at_start``, as chaoslib's continuous hypothesis does)."""

    def __init__(
        self,
        executor: ActivityExecutor,
        probes: list[dict[str, Any]],
        interval: float,
        on_check: Callable[[SteadyStateCheck], None],
        *,
        check_at_start: bool = False,
    ) -> None:
        self.executor = executor
        self.probes = probes
        self.interval = interval
        self.on_check = on_check
        self.check_at_start = check_at_start
        self.stop = StopSignal("monitor")
        self._thread = threading.Thread(target=self._loop, name="chaosrun-monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        if not self.check_at_start and self.stop.wait(self.interval):
            return
        while self._check() and not self.stop.wait(self.interval):
            pass

    def _check(self) -> bool:
        """One check, handed to ``on_check``; False once the monitor is closing."""
        try:
            check = check_hypothesis(self.executor, self.probes, "during", self.stop)
        except Exception as exc:  # a broken check must not kill the run silently
            log.exception("steady-state check during the method failed")
            self.executor.state.error(f"steady-state check during the method: {exc}")
            return True
        if self.stop.is_set() and any(p.status == "cancelled" for p in check.probes):
            return False  # cut short by the end of the method: not a measurement
        self.on_check(check)
        return True

    def close(self) -> None:
        """Stop checking; a check in flight is interrupted and discarded."""
        self.stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
