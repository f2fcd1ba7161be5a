"""The game-day plan (``gameday.yaml``), validated like experiments: every issue names the file,
line and field, and a plan whose experiments are invalid is rejected before anything runs.

.. code-block:: yaml

    title: Orders active-active game day
    purpose: Prove the orders service survives losing a region
    owner: alice@example.com
    coordinator: bob@example.com
    observers: [carol@example.com]
    environment: {sandbox: true}    # or {profile: gameday, account_id: "1234...", regions: [..]}
    schedule: {cron: "0 10 * * 2", timezone: Europe/London}
    duration_minutes: 120
    blackouts: [{start: 2026-12-24T00:00:00Z, end: 2026-12-27T00:00:00Z, reason: holidays}]
    stop_conditions:
      interval: 5
      alarms: [{name: orders-error-rate, region: us-east-1}]
      probes: [<Chaos Toolkit probe with a tolerance>]
    alerts: [<alert sink configs, see docs/alerts.md>]
    experiments:
      - experiment: experiments/lambda-throttle-create-order.yaml
        approval: true                     # a person confirms before it starts (--yes skips)
        pause_after: 60
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaosrun.alerts.config import SinkConfig
from chaosrun.errors import ExperimentInvalid, ValidationIssue
from chaosrun.experiment.loader import load_experiment
from chaosrun.experiment.source import SourceError, format_path, parse_document
from chaosrun.experiment.validate import issues_from_errors
from chaosrun.gameday.windows import Blackout, Trigger


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanEnvironment(_Strict):
    sandbox: bool = Field(False, description="run against a fresh local sandbox")
    profile: str | None = None
    account_id: str | None = Field(None, description="refuse to run in any other account")
    regions: list[str] = Field(default_factory=list)


class AlarmRef(_Strict):
    name: str
    region: str | None = None


class StopConditions(_Strict):
    interval: float = Field(5.0, gt=0, description="seconds between stop-condition checks")
    alarms: list[AlarmRef] = Field(
        default_factory=list, description="halt the day when any is in ALARM"
    )
    probes: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Chaos Toolkit probes with tolerances; halt when one is out of tolerance",
    )


class Step(_Strict):
    experiment: str = Field(description="experiment file, relative to the plan")
    title: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict, description="configuration overrides")
    approval: bool = Field(False, description="ask a person before starting (--yes skips)")
    pause_before: float = Field(0, ge=0)
    pause_after: float = Field(0, ge=0)
    continue_on_deviation: bool = Field(
        True, description="go on with the next experiment after a deviation"
    )


class GameDayPlan(_Strict):
    title: str
    purpose: str
    owner: str
    coordinator: str | None = None
    observers: list[str] = Field(default_factory=list)
    environment: PlanEnvironment = PlanEnvironment()
    schedule: Trigger | None = None
    duration_minutes: int = Field(120, ge=1)
    blackouts: list[Blackout] = Field(default_factory=list)
    stop_conditions: StopConditions = StopConditions()
    alerts: list[SinkConfig] = Field(
        default_factory=list, description="alert sinks for every experiment of the day"
    )
    experiments: list[Step] = Field(min_length=1)


class LoadedPlan(BaseModel):
    path: Path
    plan: GameDayPlan

    def experiment_path(self, step: Step) -> Path:
        return (self.path.parent / step.experiment).resolve()


def load_plan(path: str | Path) -> LoadedPlan:
    """Parse and validate a plan and every experiment it names (all issues at once)."""
    p = Path(path)
    try:
        doc = parse_document(p)
    except SourceError as exc:
        raise ExperimentInvalid([ValidationIssue(str(p), exc.line, "", exc.message)]) from None
    if not isinstance(doc.data, dict):
        raise ExperimentInvalid(
            [ValidationIssue(str(p), doc.lines.line(()), "", "a game-day plan is a mapping")]
        )
    try:
        plan = GameDayPlan.model_validate(doc.data)
    except ValidationError as exc:
        raise ExperimentInvalid(
            issues_from_errors(exc.errors(), doc.data, doc.lines, GameDayPlan)
        ) from None
    issues: list[ValidationIssue] = []
    for i, step in enumerate(plan.experiments):
        target = (p.parent / step.experiment).resolve()
        where = ("experiments", i, "experiment")
        if not target.is_file():
            issues.append(
                ValidationIssue(
                    str(p),
                    doc.lines.line(where),
                    format_path(where),
                    f"no experiment file at {target}",
                )
            )
            continue
        try:
            load_experiment(target, step.vars)
        except ExperimentInvalid as exc:
            issues.append(
                ValidationIssue(
                    str(p),
                    doc.lines.line(where),
                    format_path(where),
                    f"the experiment is invalid ({len(exc.issues)} issue(s), listed below)",
                )
            )
            issues.extend(exc.issues)
    if issues:
        raise ExperimentInvalid(issues)
    return LoadedPlan(path=p.resolve(), plan=plan)
