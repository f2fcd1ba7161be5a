"""Checks made before anything changes: the experiment's activities are well formed, fault and
probe parameters validate, faults stay inside the allowed regions, and the caller's account is
allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chaoslib.activity import ensure_activity_is_valid
from chaoslib.exceptions import ChaosException
from chaoslib.hypothesis import ensure_hypothesis_tolerance_is_valid

from chaosrun.engine.activities import ActivityExecutor, plugin_kind, provider_name
from chaosrun.engine.located import ArgumentsInvalid, Locate, Problems
from chaosrun.errors import InvalidInput, InvalidParameters, SafetyViolation
from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.experiment.source import FieldPath
from chaosrun.faults.base import Params, parse_params
from chaosrun.plugins import FAULTS, PROBES


def validate_experiment(
    experiment: dict[str, Any],
    settings: ChaosrunSettings,
    executor: ActivityExecutor,
    locate: Locate | None = None,
) -> list[str]:
    """Raise :class:`InvalidInput` listing every problem; returns the fault regions used.

    With ``locate`` each problem names its file and line; a problem in an activity that a
    ``ref`` points to is reported at that activity (once), where it can be fixed.
    """
    if not isinstance(experiment, dict):
        raise InvalidInput("the experiment must be a mapping")
    problems = Problems(locate)
    if not isinstance(experiment.get("method"), list):
        problems.add(("method",), None, "a list of activities is required")
    entries = _activities(experiment)
    # where each activity is, to report a problem of a `ref`'s target at the target
    paths = {id(a): path for path, a in entries} if locate is not None else {}
    regions: list[str] = []
    for path, activity in entries:
        if not isinstance(activity, dict):
            problems.add(path, None, "an activity must be a mapping")
            continue
        name = activity.get("name") or activity.get("ref") or "?"
        at = path
        try:
            _chaoslib_check(ensure_activity_is_valid, activity)
            resolved = executor.resolve(activity)
            at = paths.get(id(resolved), path)
            executor.pauses(resolved)
            executor.timeout(resolved)
            if path[0] == "steady-state-hypothesis":
                if "tolerance" not in resolved:
                    raise InvalidInput("a hypothesis probe needs a tolerance")
                _chaoslib_check(ensure_hypothesis_tolerance_is_valid, resolved["tolerance"])
            kind = plugin_kind(resolved)
            if kind == "fault" and path[0] == "rollbacks":
                at = path
                raise InvalidInput(
                    "faults cannot run as rollbacks; chaosrun restores faults itself"
                )
            if kind is not None:
                regions.extend(_check_plugin(resolved, kind, executor, settings))
        except ArgumentsInvalid as exc:
            problems.arguments(at, name, exc)
        except (ChaosException, InvalidInput) as exc:
            problems.add(at, name, str(exc))
    if problems.found:
        raise InvalidInput(
            "the experiment is invalid (nothing was changed; fix these and run again):\n  "
            + "\n  ".join(problems.found)
        )
    return sorted(set(regions))


def _activities(experiment: dict[str, Any]) -> list[tuple[FieldPath, Any]]:
    """Every activity the run may execute, with its field path."""
    hypothesis = experiment.get("steady-state-hypothesis") or {}
    sections: list[tuple[FieldPath, Any]] = [
        (("steady-state-hypothesis", "probes"), hypothesis.get("probes")),
        (("method",), experiment.get("method")),
        (("rollbacks",), experiment.get("rollbacks")),
    ]
    return [
        ((*section, i), activity)
        for section, activities in sections
        for i, activity in enumerate(activities or [])
    ]


def _chaoslib_check(check: Callable[[Any], object], value: Any) -> None:
    """chaoslib raises ValueError or TypeError, not a ChaosException, for a provider it cannot
    inspect (a builtin without a signature, say): an invalid activity all the same."""
    try:
        check(value)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            f"chaoslib cannot check this provider ({type(exc).__name__}: {exc}); point it at a "
            "Python function of your own whose signature chaoslib can read and bind the "
            "arguments to (wrap a builtin in one)"
        ) from None


def _params(model: type[Params], owner: str, arguments: dict[str, Any]) -> Params:
    try:
        return parse_params(model, owner, arguments)
    except InvalidParameters as exc:
        raise ArgumentsInvalid(exc, owner, model, arguments) from None


def _check_plugin(
    activity: dict[str, Any], kind: str, executor: ActivityExecutor, settings: ChaosrunSettings
) -> list[str]:
    name = provider_name(activity) or ""
    arguments = executor.arguments(activity)
    if kind == "probe":
        probe_cls = PROBES.get(name)
        _params(probe_cls.params_model, probe_cls.name, arguments)
        return []
    fault_cls = FAULTS.get(name)
    params = _params(fault_cls.params_model, fault_cls.name, arguments)
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
