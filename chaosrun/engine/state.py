"""What a run records as it goes; the journal is built from this at the end (thread-safe)."""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chaosrun.journal.model import (
    ActivityRun,
    Event,
    EventKind,
    Measurement,
    Series,
    SteadyStateCheck,
)
from chaosrun.ledger import now


class StopReason(enum.StrEnum):
    DEVIATION = "deviation"  # hypothesis deviated during the method (fail_fast)
    SIGNAL = "signal"  # SIGINT / SIGTERM
    ABORT = "abort"  # Runner.abort() by the caller
    FAILURE = "failure"  # an action failed or timed out, or a safety check refused
    ERROR = "error"  # an unexpected exception inside the runner


@dataclass
class RunState:
    started: datetime = field(default_factory=now)
    events: list[Event] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    method_runs: list[ActivityRun] = field(default_factory=list)
    rollback_runs: list[ActivityRun] = field(default_factory=list)
    before: SteadyStateCheck | None = None
    after: SteadyStateCheck | None = None
    during: list[SteadyStateCheck] = field(default_factory=list)
    deviated_at: datetime | None = None
    stop_reason: StopReason | None = None
    stop_message: str = ""
    #: the first SIGINT/SIGTERM received, even when the run had already stopped for another
    #: reason or was restoring (then ``stop_reason`` keeps that reason)
    signal_received: str | None = None
    method_skipped: bool = False
    restore_problems: list[str] = field(default_factory=list)
    rollback_failures: list[str] = field(default_factory=list)
    account_id: str | None = None
    regions: list[str] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def event(self, kind: EventKind, message: str, at: datetime | None = None) -> None:
        """Record an event; ``at`` (default now) places it in time order, so a fault reported
        after its fan-out returns still precedes a deviation its injection caused."""
        when = at or now()
        with self._lock:
            i = len(self.events)
            while i and self.events[i - 1].at > when:
                i -= 1
            self.events.insert(i, Event(at=when, kind=kind, message=message))

    def error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)
        self.event("error", message)

    def note(self, message: str) -> None:
        with self._lock:
            self.notes.append(message)

    def set_stop(self, reason: StopReason, message: str) -> bool:
        """Record why the run stops; the first reason wins. Returns whether this one won."""
        with self._lock:
            if self.stop_reason is not None:
                return False
            self.stop_reason = reason
            self.stop_message = message
        if reason is not StopReason.DEVIATION:  # add_check already recorded the deviation
            self.event("abort", message)
        return True

    def set_signal(self, message: str) -> bool:
        """Record the first signal received; returns whether this one was the first."""
        with self._lock:
            if self.signal_received is not None:
                return False
            self.signal_received = message
        return True

    def add_check(self, check: SteadyStateCheck) -> None:
        with self._lock:
            if check.phase == "before":
                self.before = check
            elif check.phase == "after":
                self.after = check
            else:
                self.during.append(check)
            if not check.steady_state_met and self.deviated_at is None:
                self.deviated_at = check.at
        if not check.steady_state_met:
            failing = [
                str(p.activity.get("name", "?")) for p in check.probes if p.tolerance_met is False
            ]
            self.event(
                "deviation",
                f"steady state not met ({check.phase}): {', '.join(failing) or 'probe failed'}",
            )

    def add_output(self, series: list[Series], measurements: list[Measurement]) -> None:
        with self._lock:
            for one in series:  # repeated probes (the monitor) extend one series per name
                same = next(
                    (s for s in self.series if s.name == one.name and s.unit == one.unit), None
                )
                if same is None:
                    self.series.append(one.model_copy(deep=True))
                else:
                    same.extend(one)
            self.measurements.extend(measurements)

    def add_run(self, run: ActivityRun, rollback: bool = False) -> None:
        with self._lock:
            (self.rollback_runs if rollback else self.method_runs).append(run)

    @property
    def deviated(self) -> bool:
        with self._lock:
            checks: list[Any] = [self.before, self.after, *self.during]
            return any(c is not None and not c.steady_state_met for c in checks)
