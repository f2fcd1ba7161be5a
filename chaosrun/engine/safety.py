"""Checks made before anything changes: the experiment's activities are well formed, fault and
probe parameters validate, faults stay inside the allowed regions, and the caller's account is
allowed.
"""

from __future__ import annotations

from typing import Any

from chaoslib.activity import ensure_activity_is_valid
from chaoslib.exceptions import ChaosException
from chaoslib.hypothesis import ensure_hypothesis_tolerance_is_valid

from chaosrun.engine.activities import ActivityExecutor, plugin_kind, provider_name
from chaosrun.errors import InvalidInput, SafetyViolation
from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.faults.base import parse_params
from chaosrun.plugins import FAULTS, PROBES


def _label(activity: dict[str, Any], section: str, index: int) -> str:
    return f"{section}[{index}] ({activity.get('name') or activity.get('ref') or '?'})"


def validate_experiment(
    experiment: dict[str, Any], settings: ChaosrunSettings, executor: ActivityExecutor
) -> list[str]:
    """Raise :class:`InvalidInput` listing every problem; returns the fault regions used."""
    problems: list[str] = []
    if not isinstance(experiment, dict):
        raise InvalidInput("the experiment must be a mapping")
    if not isinstance(experiment.get("method"), list):
        problems.append("method: a list of activities is required")
    hypothesis = experiment.get("steady-state-hypothesis") or {}
    sections = [
        ("steady-state-hypothesis.probes", list(hypothesis.get("probes") or [])),
        ("method", list(experiment.get("method") or [])),
        ("rollbacks", list(experiment.get("rollbacks") or [])),
    ]
    regions: list[str] = []
    for section, activities in sections:
        for index, activity in enumerate(activities):
            label = _label(activity, section, index) if isinstance(activity, dict) else section
            if not isinstance(activity, dict):
                problems.append(f"{label}: an activity must be a mapping")
                continue
            try:
                ensure_activity_is_valid(activity)
                resolved = executor.resolve(activity)
                executor.pauses(resolved)
                executor.timeout(resolved)
                if section.startswith("steady"):
                    if "tolerance" not in resolved:
                        raise InvalidInput("a hypothesis probe needs a tolerance")
                    ensure_hypothesis_tolerance_is_valid(resolved["tolerance"])
                kind = plugin_kind(resolved)
                if kind == "fault" and section == "rollbacks":
                    raise InvalidInput(
                        "faults cannot run as rollbacks; chaosrun restores faults itself"
                    )
                if kind is not None:
                    regions.extend(_check_plugin(resolved, kind, executor, settings))
            except (ChaosException, InvalidInput) as exc:
                problems.append(f"{label}: {exc}")
    if problems:
        raise InvalidInput("the experiment is invalid:\n  " + "\n  ".join(problems))
    return sorted(set(regions))


def _check_plugin(
    activity: dict[str, Any], kind: str, executor: ActivityExecutor, settings: ChaosrunSettings
) -> list[str]:
    name = provider_name(activity) or ""
    arguments = executor.arguments(activity)
    if kind == "probe":
        probe_cls = PROBES.get(name)
        parse_params(probe_cls.params_model, probe_cls.name, arguments)
        return []
    fault_cls = FAULTS.get(name)
    params = parse_params(fault_cls.params_model, fault_cls.name, arguments)
    regions = list(getattr(params, "regions", None) or [executor.ctx.clients.default_region])
    # an ARN carries its region; a global one has none, and the parameters' region stands
    found = [(a, _arn_region(a) or regions[0]) for a in getattr(params, "arns", None) or []]
    found = found or [("", r) for r in regions]
    allowed = settings.safety.allowed_regions
    outside = [
        f"{arn} (region {r})" if arn else f"region {r}"
        for arn, r in found
        if allowed is not None and r not in allowed
    ]
    if outside:
        raise SafetyViolation(
            f"targets outside safety.allowed_regions {allowed}: {', '.join(outside)}. Select "
            "targets (regions, ARNs) in an allowed region or extend the allow list."
        )
    return sorted({r for _, r in found})


def _arn_region(arn: str) -> str:
    """The region field of ``arn`` ('' for global resources and for anything not an ARN)."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def check_account(account_id: str | None, settings: ChaosrunSettings) -> None:
    allowed = settings.safety.allowed_account_ids
    if allowed is None:
        return
    if account_id is None:
        raise SafetyViolation(
            "safety.allowed_account_ids is set but the caller's account could not be read "
            "(sts:GetCallerIdentity failed). Check the credentials and run again."
        )
    if account_id not in allowed:
        raise SafetyViolation(
            f"account {account_id} is not in safety.allowed_account_ids {allowed}. Refusing to "
            "run: point the credentials at an allowed account or extend the list."
        )
