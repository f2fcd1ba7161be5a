"""What every output (HTML, Markdown, JUnit, index, alerts) derives from a journal the same way."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chaosrun.journal.model import ActivityRun, Journal, SteadyStateCheck, Verdict
from chaosrun.targets import RestoreStatus


def report_filename(run_id: str, suffix: str = ".html") -> str:
    """File name of a run's output in a reports directory: ``<run_id><suffix>``."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return f"{safe}{suffix}"


@dataclass(frozen=True)
class VerdictInfo:
    verdict: Verdict
    icon: str
    label: str
    sentence: str

    @property
    def css(self) -> str:
        return self.verdict.value.replace("_", "-")


VERDICTS: dict[Verdict, VerdictInfo] = {
    Verdict.HELD: VerdictInfo(
        Verdict.HELD, "\u2714", "Held", "The steady state held throughout; everything was restored."
    ),
    Verdict.DEVIATED: VerdictInfo(
        Verdict.DEVIATED,
        "\u2716",
        "Deviated",
        "The hypothesis deviated; every change was restored.",
    ),
    Verdict.ABORTED: VerdictInfo(
        Verdict.ABORTED,
        "\u25a0",
        "Aborted",
        "The run was interrupted or errored; every change was restored.",
    ),
    Verdict.RESTORE_INCOMPLETE: VerdictInfo(
        Verdict.RESTORE_INCOMPLETE,
        "\u26a0",
        "Restore incomplete",
        "Some changes were not restored or drifted: something may still be impaired.",
    ),
}


def verdict_info(journal: Journal) -> VerdictInfo:
    return VERDICTS[journal.verdict]


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "\u2013"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_time(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if at else "\u2013"


def compact(value: Any, limit: int = 160) -> str:
    """A short one-line rendering of a JSON-able value."""
    if value is None:
        return "\u2013"
    if isinstance(value, str):
        text = value
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        try:
            text = json.dumps(value, sort_keys=True, default=str, separators=(", ", ": "))
        except (TypeError, ValueError):
            text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def numeric(value: Any) -> float | None:
    """A probe output as a number, when it is one (booleans are not plotted)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def activity_name(run: ActivityRun) -> str:
    return str(run.activity.get("name") or run.activity.get("type") or "activity")


def tolerance_of(run: ActivityRun) -> Any:
    return run.activity.get("tolerance")


def tolerance_range(tolerance: Any) -> tuple[float, float] | None:
    """The numeric band of a Chaos Toolkit ``range`` tolerance, if it is one."""
    if isinstance(tolerance, dict) and tolerance.get("type") == "range":
        rng = tolerance.get("range")
        if isinstance(rng, list | tuple) and len(rng) == 2:
            lo, hi = numeric(rng[0]), numeric(rng[1])
            if lo is not None and hi is not None:
                return lo, hi
    return None


@dataclass
class FailedCheck:
    phase: str
    at: datetime
    probe: str
    output: Any
    tolerance: Any
    status: str


@dataclass
class ProbeStats:
    """The during-method checks of one probe, summarised."""

    probe: str
    tolerance: Any = None
    checks: int = 0
    passed: int = 0
    failed: int = 0
    minimum: float | None = None
    maximum: float | None = None
    first_failure: datetime | None = None
    last_failure: datetime | None = None
    failures: list[FailedCheck] = field(default_factory=list)

    def add(self, check_at: datetime, run: ActivityRun) -> None:
        self.checks += 1
        if self.tolerance is None:
            self.tolerance = tolerance_of(run)
        out = run.output
        value = out if type(out) is float else numeric(out)  # the common case, inline
        if value is not None:
            if self.minimum is None or value < self.minimum:
                self.minimum = value
            if self.maximum is None or value > self.maximum:
                self.maximum = value
        if run.status == "succeeded" and run.tolerance_met is not False:  # probe_passed, inline
            self.passed += 1
            return
        self.failed += 1
        self.first_failure = self.first_failure or check_at
        self.last_failure = check_at
        self.failures.append(
            FailedCheck("during", check_at, self.probe, run.output, self.tolerance, run.status)
        )


def probe_passed(run: ActivityRun) -> bool:
    return run.status == "succeeded" and run.tolerance_met is not False


def during_stats(journal: Journal) -> list[ProbeStats]:
    stats: dict[str, ProbeStats] = {}
    for chk in journal.steady_states.during:
        at = chk.at
        for run in chk.probes:
            name = run.activity.get("name")
            if type(name) is not str or not name:  # activity_name's common case, inline
                name = activity_name(run)
            probe = stats.get(name)
            if probe is None:  # not setdefault: that would build a ProbeStats per run
                probe = stats[name] = ProbeStats(probe=name)
            probe.add(at, run)
    return list(stats.values())


def phase_checks(journal: Journal) -> list[tuple[str, SteadyStateCheck | None]]:
    return [("before", journal.steady_states.before), ("after", journal.steady_states.after)]


def failed_checks(journal: Journal) -> list[FailedCheck]:
    """Every failed probe evaluation, before/during/after, in time order."""
    out: list[FailedCheck] = []
    checks: Iterable[SteadyStateCheck | None] = [
        journal.steady_states.before,
        *journal.steady_states.during,
        journal.steady_states.after,
    ]
    for chk in checks:
        if chk is None:
            continue
        for run in chk.probes:
            if not probe_passed(run):
                out.append(
                    FailedCheck(
                        chk.phase,
                        chk.at,
                        activity_name(run),
                        run.output,
                        tolerance_of(run),
                        run.status,
                    )
                )
    return out


@dataclass
class RestoreSummary:
    total: int = 0
    restored: int = 0
    drift: int = 0
    failed: int = 0
    gone: int = 0
    pending: int = 0

    @property
    def ok(self) -> bool:
        return self.drift == 0 and self.failed == 0 and self.pending == 0

    def text(self) -> str:
        if self.total == 0:
            return "no changes"
        parts = [f"{self.restored}/{self.total} restored"]
        for label, n in (
            ("drifted", self.drift),
            ("failed", self.failed),
            ("gone", self.gone),
            ("not restored", self.pending),
        ):
            if n:
                parts.append(f"{n} {label}")
        return ", ".join(parts)


def restore_summary(journal: Journal) -> RestoreSummary:
    summary = RestoreSummary()
    for fault, target in journal.restores():
        if fault.dry_run:
            continue
        summary.total += 1
        result = target.restore
        if result is None:
            if target.injected_at is not None:
                summary.pending += 1
            else:
                summary.restored += 1  # never applied: nothing to restore
        elif result.ok:
            summary.restored += 1
        elif result.status == RestoreStatus.DRIFT:
            summary.drift += 1
        elif result.status == RestoreStatus.GONE:
            summary.gone += 1
        else:
            summary.failed += 1
    return summary
