"""Contradictions between CTK's ``runtime.hypothesis`` and chaosrun's ``chaosrun.monitoring``.

A leaf module so that ``chaosrun validate`` (through the loader) reports exactly what the
engine's :func:`chaosrun.engine.schedule.hypothesis_schedule` refuses, without importing the
engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaosrun.experiment.extensions import Monitoring
from chaosrun.experiment.source import FieldPath


@dataclass(frozen=True)
class ScheduleConflict:
    #: the CTK key that contradicts chaosrun.monitoring (where ``validate`` reports it)
    path: FieldPath
    message: str


def runtime_hypothesis(experiment: dict[str, Any]) -> dict[str, Any]:
    """The ``runtime.hypothesis`` block of a raw experiment (empty when absent or malformed)."""
    runtime = experiment.get("runtime") or {}
    hypothesis = runtime.get("hypothesis") if isinstance(runtime, dict) else None
    return dict(hypothesis) if isinstance(hypothesis, dict) else {}


def schedule_conflicts(
    experiment: dict[str, Any], monitoring: Monitoring
) -> list[ScheduleConflict]:
    """Settings both blocks make that disagree; each names the two keys and asks to keep one."""
    ctk = runtime_hypothesis(experiment)
    out: list[ScheduleConflict] = []
    frequency = ctk.get("frequency")
    if frequency is not None and monitoring.interval is not None:
        out.append(
            ScheduleConflict(
                ("runtime", "hypothesis", "frequency"),
                f"runtime.hypothesis.frequency ({frequency}) and chaosrun.monitoring.interval "
                f"({monitoring.interval}) both set the seconds between checks during the method: "
                "keep one of them",
            )
        )
    both = "fail_fast" in ctk and "fail_fast" in monitoring.model_fields_set
    if both and bool(ctk["fail_fast"]) != monitoring.fail_fast:
        out.append(
            ScheduleConflict(
                ("runtime", "hypothesis", "fail_fast"),
                f"runtime.hypothesis.fail_fast ({ctk['fail_fast']}) and "
                f"chaosrun.monitoring.fail_fast ({monitoring.fail_fast}) disagree: "
                "keep one of them",
            )
        )
    return out
