"""When the steady-state hypothesis is checked: CTK's ``runtime.hypothesis`` and chaosrun's
``chaosrun.monitoring``, merged into one schedule.

CTK strategies: ``default`` (before and after the method), ``before-method-only``,
``after-method-only``, ``during-method-only``, ``continuously`` (before, during, after) and
``skip``. During the method the hypothesis is checked every ``frequency`` seconds, the first time
as the method starts (as chaoslib does). ``chaosrun.monitoring.interval`` adds checks during the
method to any strategy but ``skip``, the first one ``interval`` seconds in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaosrun.errors import InvalidInput
from chaosrun.experiment.extensions import Monitoring
from chaosrun.experiment.schedule_rules import runtime_hypothesis, schedule_conflicts

#: seconds between checks during the method when a CTK strategy asks for them without a
#: frequency (the default of ``chaos run --hypothesis-frequency``)
CTK_FREQUENCY = 1.0

BEFORE = frozenset({"default", "before-method-only", "continuously"})
DURING = frozenset({"during-method-only", "continuously"})
AFTER = frozenset({"default", "after-method-only", "continuously"})
STRATEGIES = BEFORE | DURING | AFTER | {"skip"}


@dataclass(frozen=True)
class HypothesisSchedule:
    strategy: str = "default"
    before: bool = True
    after: bool = True
    #: seconds between checks during the method; None: no checks during the method
    interval: float | None = None
    #: the first check during the method runs as it starts (CTK), not one interval in
    check_at_start: bool = False
    #: stop the method once the share of deviated checks during it reaches ``fail_fast_ratio``
    fail_fast: bool = True
    fail_fast_ratio: float = 0.0


def hypothesis_schedule(experiment: dict[str, Any], monitoring: Monitoring) -> HypothesisSchedule:
    """The schedule of an experiment; InvalidInput when the two blocks contradict each other
    (:func:`schedule_conflicts`, a leaf module so that ``chaosrun validate`` reports the same)."""
    ctk = runtime_hypothesis(experiment)
    strategy = str(ctk.get("strategy") or "default")
    if strategy not in STRATEGIES:
        known = ", ".join(sorted(STRATEGIES))
        raise InvalidInput(f"runtime.hypothesis.strategy {strategy!r} is not one of {known}")
    conflicts = schedule_conflicts(experiment, monitoring)
    if conflicts:
        raise InvalidInput(conflicts[0].message)
    frequency = ctk.get("frequency")
    if strategy == "skip":
        return HypothesisSchedule(strategy=strategy, before=False, after=False)
    interval: float | None = None
    if strategy in DURING or monitoring.interval is not None:
        interval = float(frequency or monitoring.interval or CTK_FREQUENCY)
    if "fail_fast" in ctk:
        fail_fast = bool(ctk["fail_fast"])
    elif "fail_fast" in monitoring.model_fields_set or monitoring.interval is not None:
        fail_fast = monitoring.fail_fast  # chaosrun's default: stop at the first deviation
    else:
        fail_fast = False  # CTK's default: keep checking, report the deviation at the end
    return HypothesisSchedule(
        strategy=strategy,
        before=strategy in BEFORE,
        after=strategy in AFTER,
        interval=interval,
        check_at_start=strategy in DURING,
        fail_fast=fail_fast,
        fail_fast_ratio=float(ctk.get("fail_fast_ratio") or 0.0),
    )
