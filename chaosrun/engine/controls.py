"""Experiment ``controls`` are validated but not executed by the chaosrun engine.

A control can be a safeguard (chaostoolkit-addons stops an experiment on its own conditions), so
dropping one silently would let a run go on that ``chaos run`` would stop: the run says so at
its start, in the log and in the journal's notes. The chaosrun control (``chaosrun.control``,
for ``chaos run``) is not reported: the engine restores faults itself.
"""

from __future__ import annotations

from typing import Any

#: the control whose work the engine does natively
OWN_CONTROL = "chaosrun.control"


def _names(controls: Any) -> list[str]:
    if not isinstance(controls, list):
        return []
    return [
        str(c.get("name", "?"))
        for c in controls
        if isinstance(c, dict) and (c.get("provider") or {}).get("module") != OWN_CONTROL
    ]


def ignored_controls(experiment: dict[str, Any]) -> list[str]:
    """Every declared control, as ``'name' (where)``, experiment level first."""
    found = [f"{name!r} (experiment)" for name in _names(experiment.get("controls"))]
    hypothesis = experiment.get("steady-state-hypothesis") or {}
    found += [f"{name!r} (steady-state hypothesis)" for name in _names(hypothesis.get("controls"))]
    activities = [
        *(hypothesis.get("probes") or []),
        *(experiment.get("method") or []),
        *(experiment.get("rollbacks") or []),
    ]
    for activity in activities:
        if isinstance(activity, dict):
            where = f"activity {activity.get('name', '?')!r}"
            found += [f"{name!r} ({where})" for name in _names(activity.get("controls"))]
    return found


def ignored_controls_message(experiment: dict[str, Any]) -> str | None:
    found = ignored_controls(experiment)
    if not found:
        return None
    return (
        f"controls are not executed by chaosrun run, these are ignored: {', '.join(found)}; "
        "run the experiment with `chaos run` if they must act (faults are still restored with "
        "the chaosrun control), or remove them"
    )
