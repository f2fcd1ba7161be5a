"""Alert events: which ones a journal implies, and what they say.

One alert per run and condition, keyed ``chaosrun-<run_id>-<condition>`` (Opsgenie/JSM alias,
PagerDuty ``dedup_key``). Severity by condition:

============== ==================== ========= ============================================
condition      PagerDuty severity   priority  when
============== ==================== ========= ============================================
restore_failed critical             P1        a restore failed, drifted or never happened
aborted        error                P2        the run was interrupted or errored
deviation      warning              P3        the steady-state hypothesis deviated
============== ==================== ========= ============================================

A *resolve* (Opsgenie/JSM close, PagerDuty resolve) is sent when a triggered condition no longer
holds at the end of the run: a deviation whose ``after`` check held again (recovered), a restore
that ``chaosrun rollback`` completed later, or any open condition once a run held.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chaosrun.alerts.config import Condition
from chaosrun.journal.model import Journal, Verdict
from chaosrun.report.common import (
    VERDICTS,
    compact,
    failed_checks,
    format_duration,
    report_filename,
    restore_summary,
)

SEVERITY: dict[Condition, str] = {
    Condition.RESTORE_FAILED: "critical",
    Condition.ABORTED: "error",
    Condition.DEVIATION: "warning",
    Condition.ANNOUNCEMENT: "info",
}
PRIORITY: dict[Condition, str] = {
    Condition.RESTORE_FAILED: "P1",
    Condition.ABORTED: "P2",
    Condition.DEVIATION: "P3",
    Condition.ANNOUNCEMENT: "P5",
}
HEADLINE: dict[Condition, str] = {
    Condition.RESTORE_FAILED: "Restore incomplete",
    Condition.ABORTED: "Run aborted",
    Condition.DEVIATION: "Hypothesis deviated",
    Condition.ANNOUNCEMENT: "Chaos run starting soon",
}


def _now() -> datetime:
    return datetime.now(UTC)


class AlertEvent(BaseModel):
    """Something to tell the sinks: open (trigger) or close (resolve) a condition's alert."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    condition: Condition
    action: Literal["trigger", "resolve"] = "trigger"
    at: datetime = Field(default_factory=_now)
    message: str = Field("", description="extra words for the alert, e.g. the failing probe")

    @property
    def severity(self) -> str:
        return SEVERITY[self.condition] if self.action == "trigger" else "info"

    @property
    def priority(self) -> str:
        return PRIORITY[self.condition]

    @property
    def name(self) -> str:
        """As recorded in ``AlertDelivery.event``: ``<condition>:<action>``."""
        return f"{self.condition.value}:{self.action}"


def dedup_key(run_id: str, condition: Condition) -> str:
    return f"chaosrun-{run_id}-{condition.value}"


class AlertContext(BaseModel):
    """What an alert says about the run; built from a journal, or by the engine mid-run."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    title: str
    verdict: Verdict | None = None
    reason: str = ""
    account_id: str | None = None
    regions: list[str] = Field(default_factory=list)
    sandbox: bool = False
    started: datetime | None = None
    duration: float | None = None
    deviated_at: datetime | None = None
    failed_checks: int | None = None
    restore: str | None = None
    restore_problems: list[str] = Field(default_factory=list)
    measurements: dict[str, str] = Field(default_factory=dict)
    experiment_file: str | None = None
    run_by: str | None = None
    report_url: str | None = None

    @classmethod
    def from_journal(cls, journal: Journal, report_base_url: str | None = None) -> AlertContext:
        cr = journal.chaosrun
        env = cr.environment
        problems = []
        for fault, t in journal.restores():
            if fault.dry_run or t.injected_at is None or (t.restore and t.restore.ok):
                continue
            status = t.restore.status.value if t.restore else "not restored"
            current = f" (now {compact(t.restore.current, 80)})" if t.restore else ""
            problems.append(f"{t.target.name} [{t.target.region}]: {status}{current}")
        return cls(
            run_id=cr.run_id,
            title=journal.title,
            verdict=cr.verdict,
            reason=cr.reason,
            account_id=env.account_id,
            regions=list(env.regions),
            sandbox=env.sandbox,
            started=journal.start,
            duration=journal.duration,
            deviated_at=cr.deviated_at,
            failed_checks=len(failed_checks(journal)),
            restore=restore_summary(journal).text(),
            restore_problems=problems,
            measurements={
                m.name: f"{compact(m.value)} {m.unit}".strip()
                + ("" if m.ok is None else (" (ok)" if m.ok else f" (bound {m.bound})"))
                for m in cr.measurements
            },
            experiment_file=cr.experiment_file,
            run_by=" on ".join(x for x in (env.user, env.host) if x) or None,
            report_url=(
                f"{report_base_url.rstrip('/')}/{report_filename(cr.run_id)}"
                if report_base_url
                else None
            ),
        )


def summary(event: AlertEvent, ctx: AlertContext) -> str:
    head = HEADLINE[event.condition]
    if event.action == "resolve":
        head = f"Resolved: {head.lower()}"
    text = f"[chaosrun] {head}: {ctx.title} (run {ctx.run_id})"
    return f"{text} \u2013 {event.message}" if event.message else text


def details(event: AlertEvent, ctx: AlertContext) -> dict[str, str]:
    """Key figures as flat string pairs (Opsgenie details, PagerDuty custom_details ...)."""
    out: dict[str, str] = {
        "run_id": ctx.run_id,
        "condition": event.condition.value,
        "action": event.action,
        "dedup_key": dedup_key(ctx.run_id, event.condition),
    }
    optional: dict[str, object] = {
        "verdict": VERDICTS[ctx.verdict].label if ctx.verdict else None,
        "reason": ctx.reason or None,
        "report": ctx.report_url,
        "account": ctx.account_id,
        "regions": ", ".join(ctx.regions) or None,
        "sandbox": "yes" if ctx.sandbox else "no",
        "started": ctx.started.isoformat() if ctx.started else None,
        "duration": format_duration(ctx.duration) if ctx.duration is not None else None,
        "deviated_at": ctx.deviated_at.isoformat() if ctx.deviated_at else None,
        "failed_checks": ctx.failed_checks,
        "restore": ctx.restore,
        "experiment_file": ctx.experiment_file,
        "run_by": ctx.run_by,
    }
    out.update({k: str(v) for k, v in optional.items() if v is not None})
    for name, value in ctx.measurements.items():
        out[f"measurement {name}"] = value
    if ctx.restore_problems:
        out["restore_problems"] = "; ".join(ctx.restore_problems)
    return out


def description(event: AlertEvent, ctx: AlertContext) -> str:
    lines = [summary(event, ctx), ""]
    if ctx.verdict:
        lines.append(f"Verdict: {VERDICTS[ctx.verdict].label}. {VERDICTS[ctx.verdict].sentence}")
    if ctx.reason:
        lines.append(ctx.reason)
    if ctx.restore_problems:
        lines += ["", "Not restored (run `chaosrun rollback " + ctx.run_id + "`):"]
        lines += [f"- {p}" for p in ctx.restore_problems]
    lines.append("")
    lines += [f"{k}: {v}" for k, v in details(event, ctx).items() if k != "restore_problems"]
    return "\n".join(lines)


def triggered_in(journal: Journal) -> set[Condition]:
    """Conditions the journal records as triggered (``<condition>:trigger`` deliveries)."""
    out = set()
    for delivery in journal.chaosrun.alerts:
        cond, _, action = delivery.event.partition(":")
        if (
            action == "trigger"
            and delivery.status != "skipped"
            and cond in Condition._value2member_map_
        ):
            out.add(Condition(cond))
    return out


def events_for_journal(
    journal: Journal, triggered: set[Condition] | None = None
) -> list[AlertEvent]:
    """The alert events a finished run implies (pure: no I/O).

    ``triggered`` are conditions already alerted on (e.g. live during the run); by default
    those recorded in the journal's alert deliveries. Triggers are not repeated for them, and
    resolves are only sent for them or for conditions triggered here.
    """
    already = set(triggered) if triggered is not None else triggered_in(journal)
    at = journal.end
    restores = restore_summary(journal)
    restore_bad = not restores.ok or journal.verdict == Verdict.RESTORE_INCOMPLETE
    after = journal.steady_states.after
    recovered = after is not None and after.steady_state_met and not restore_bad
    deviated = journal.deviated or journal.verdict == Verdict.DEVIATED
    events: list[AlertEvent] = []

    def trigger(cond: Condition, message: str = "") -> None:
        if cond not in already:
            events.append(AlertEvent(condition=cond, action="trigger", at=at, message=message))
            already.add(cond)

    def resolve(cond: Condition, message: str) -> None:
        if cond in already:
            events.append(AlertEvent(condition=cond, action="resolve", at=at, message=message))

    if restore_bad:
        trigger(Condition.RESTORE_FAILED, restores.text())
    else:
        resolve(Condition.RESTORE_FAILED, "everything restored")
    if journal.verdict == Verdict.ABORTED:
        trigger(Condition.ABORTED, journal.chaosrun.reason)
    else:
        resolve(Condition.ABORTED, "the run finished")
    if deviated:
        trigger(Condition.DEVIATION)
        if recovered:
            resolve(Condition.DEVIATION, "recovered: the steady state held after the method")
    else:
        resolve(Condition.DEVIATION, "the steady state held")
    return events
