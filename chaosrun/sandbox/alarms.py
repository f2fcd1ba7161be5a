"""CloudWatch metric alarms, evaluated.

moto stores alarms and metrics but never evaluates one against the other. This component does,
on a loop, for every metric alarm in every sandbox region:

- the last ``EvaluationPeriods`` periods of ``Period`` seconds (scaled by ``ctx.time_scale``,
  ending now) of the alarm's metric (namespace, name, exactly its dimensions, its unit if set)
  are aggregated with its ``Statistic`` (SampleCount, Average, Sum, Minimum, Maximum) or
  ``ExtendedStatistic`` (percentiles ``pNN``/``pNN.N``, nearest rank, from single values);
- a period breaches when its value compares with ``Threshold`` by ``ComparisonOperator``;
- ``TreatMissingData``: ``missing`` (default; all periods missing = ``INSUFFICIENT_DATA``),
  ``notBreaching``, ``breaching``, ``ignore`` (all missing = keep the state); with some data,
  missing periods count as the treatment says (``missing``/``ignore``: not at all);
- ``ALARM`` when at least ``DatapointsToAlarm`` (default ``EvaluationPeriods``) periods breach,
  else ``OK``.

State changes go through moto's ``set_alarm_state`` with AWS-like reason text, e.g. ``Threshold
Crossed: 2 out of the last 3 datapoints [5.0 (28/11/26 08:01:00), 4.0 (...)] were greater than
or equal to the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition).`` and reason
data JSON, so ``DescribeAlarms`` shows them; ``DescribeAlarmHistory`` (which moto lacks) is added
to moto's CloudWatch responses and lists every state change, including ``SetAlarmState`` calls.

Not evaluated: metric-math alarms (``Metrics``), anomaly-detection operators, composite alarms;
alarm actions are not executed.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import threading
from datetime import datetime, timedelta
from typing import Any

from chaosrun.sandbox.base import Component, SandboxContext

log = logging.getLogger(__name__)

TICK_SECONDS = 0.05
_OPERATORS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}


def cloudwatch_backend(ctx: SandboxContext, region: str) -> Any:
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[ctx.account_id][region]


def _values(datum: Any) -> list[float]:
    return [float(datum.value)] if hasattr(datum, "value") else []


def aggregate(data: list[Any], statistic: str) -> float | None:
    """One period's statistic over moto metric datums (single values and statistic sets)."""
    if not data:
        return None
    singles = [v for d in data for v in _values(d)]
    sets = [d for d in data if not hasattr(d, "value")]
    count = len(singles) + sum(float(d.sample_count) for d in sets)
    total = sum(singles) + sum(float(d.sum) for d in sets)
    if statistic == "SampleCount":
        return count
    if statistic == "Sum":
        return total
    if statistic == "Average":
        return total / count if count else None
    if statistic == "Minimum":
        return min([*singles, *(float(d.min) for d in sets)])
    if statistic == "Maximum":
        return max([*singles, *(float(d.max) for d in sets)])
    if statistic.lower().startswith("p") and singles:
        pct = float(statistic[1:])
        ordered = sorted(singles)
        rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1]
    return None


def _same_dimensions(datum: Any, alarm: Any) -> bool:
    mine = {(d.name, d.value) for d in datum.dimensions}
    theirs = {(d.name, d.value) for d in alarm.dimensions}
    return mine == theirs


def _fmt(value: float) -> str:
    return repr(float(value))


def evaluate(
    alarm: Any, metrics: list[Any], now: datetime, period: float
) -> tuple[str, str, str] | None:
    """``(state, reason, reason_data)`` for ``alarm`` now, or None to keep its state."""
    if alarm.metric_data_queries or alarm.comparison_operator not in _OPERATORS:
        return None
    statistic = alarm.extended_statistic or alarm.statistic or "Average"
    n = int(alarm.evaluation_periods or 1)
    m = int(alarm.datapoints_to_alarm or n)
    check, words = _OPERATORS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    treat = alarm.treat_missing_data or "missing"
    relevant = [
        d
        for d in metrics
        if d.namespace == alarm.namespace
        and d.name == alarm.metric_name
        and _same_dimensions(d, alarm)
        and (not alarm.unit or d.unit == alarm.unit)
    ]
    points: list[tuple[datetime, float | None]] = []  # newest first
    for i in range(n):
        end = now - timedelta(seconds=i * period)
        start = end - timedelta(seconds=period)
        value = aggregate([d for d in relevant if start <= d.timestamp < end], statistic)
        points.append((start, value))
    known = [(ts, v) for ts, v in points if v is not None]
    data = {
        "version": "1.0",
        "queryDate": now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "statistic": statistic,
        "period": int(alarm.period),
        "recentDatapoints": [v for _, v in known],
        "threshold": threshold,
        "evaluatedDatapoints": [
            {"timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "value": v} for ts, v in known
        ],
    }
    if not known:
        if treat == "ignore":
            return None
        if treat in ("breaching", "notBreaching"):
            state = "ALARM" if treat == "breaching" else "OK"
            reason = (
                f"Threshold Crossed: no datapoints were received for {n} period"
                f"{'s' if n > 1 else ''} and {n} missing datapoint"
                f"{'s were' if n > 1 else ' was'} treated as "
                f"[{'Breaching' if treat == 'breaching' else 'NonBreaching'}]."
            )
            return state, reason, json.dumps(data)
        reason = f"Insufficient Data: {n} datapoint{'s were' if n > 1 else ' was'} unknown."
        return "INSUFFICIENT_DATA", reason, json.dumps(data)
    breaching = sum(1 for _, v in known if check(v, threshold))
    missing = n - len(known)
    if treat == "breaching":
        breaching += missing
    state = "ALARM" if breaching >= m else "OK"
    listed = ", ".join(f"{_fmt(v)} ({ts.strftime('%d/%m/%y %H:%M:%S')})" for ts, v in known)
    if state == "ALARM":
        reason = (
            f"Threshold Crossed: {breaching} out of the last {n} datapoints [{listed}] "
            f"{'were' if breaching > 1 else 'was'} {words} the threshold ({_fmt(threshold)}) "
            f"(minimum {m} datapoint{'s' if m > 1 else ''} for OK -> ALARM transition)."
        )
    else:
        count = len(known)
        reason = (
            f"Threshold Crossed: {count} datapoint{'s' if count > 1 else ''} [{listed}] "
            f"{'were' if count > 1 else 'was'} not {words} the threshold ({_fmt(threshold)})."
        )
    return state, reason, json.dumps(data)


def history_items(alarm: Any, item_type: str | None = None) -> list[dict[str, Any]]:
    """AWS ``AlarmHistoryItems`` (newest first) from moto's record of an alarm's states."""
    if item_type not in (None, "StateUpdate"):
        return []
    # moto appends the *previous* (type, reason, data, state, timestamp) on each change
    states = [(h[1], h[2], h[3], h[4]) for h in alarm.history if h[0] == "StateUpdate"]
    states.append(
        (
            alarm.state_reason,
            alarm.state_reason_data,
            alarm.state_value,
            alarm.state_updated_timestamp,
        )
    )
    items = []
    for old, new in itertools.pairwise(states):
        items.append(
            {
                "AlarmName": alarm.name,
                "AlarmType": "MetricAlarm",
                "Timestamp": new[3],
                "HistoryItemType": "StateUpdate",
                "HistorySummary": f"Alarm updated from {old[2]} to {new[2]}",
                "HistoryData": json.dumps(
                    {
                        "version": "1.0",
                        "oldState": {"stateValue": old[2], "stateReason": old[0]},
                        "newState": {
                            "stateValue": new[2],
                            "stateReason": new[0],
                            "stateReasonData": json.loads(new[1] or "{}"),
                        },
                    }
                ),
            }
        )
    return list(reversed(items))


def _install_describe_alarm_history() -> None:
    """Teach moto's CloudWatch responses ``DescribeAlarmHistory`` (additive, idempotent)."""
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    if "describe_alarm_history" in CloudWatchResponse.__dict__:
        return

    def describe_alarm_history(self: Any) -> ActionResult:
        name = self._get_param("AlarmName")
        item_type = self._get_param("HistoryItemType")
        alarms = self.cloudwatch_backend.alarms
        selected = [alarms[name]] if name in alarms else ([] if name else list(alarms.values()))
        items = [item for alarm in selected for item in history_items(alarm, item_type)]
        items.sort(key=lambda i: i["Timestamp"], reverse=True)
        if self._get_param("ScanBy") == "TimestampAscending":
            items.reverse()
        limit = self._get_param("MaxRecords")
        return ActionResult({"AlarmHistoryItems": items[: int(limit)] if limit else items})

    CloudWatchResponse.describe_alarm_history = describe_alarm_history  # type: ignore[attr-defined]


class Alarms(Component):
    """Evaluates CloudWatch metric alarms. See the module docstring."""

    name = "alarms"
    order = 60

    def __init__(self) -> None:
        self.ctx: SandboxContext | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.evaluations = 0
        self._evaluated = threading.Condition()

    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        _install_describe_alarm_history()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alarm-evaluator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait_evaluations(self, count: int = 1, timeout: float = 30.0) -> bool:
        """Block until ``count`` more evaluation rounds have run (False on timeout)."""
        with self._evaluated:
            target = self.evaluations + count
            return self._evaluated.wait_for(lambda: self.evaluations >= target, timeout)

    def evaluate_now(self) -> None:
        """One evaluation round over every alarm in every region."""
        from moto.core.utils import utcnow

        ctx = self.ctx
        assert ctx is not None
        now = utcnow()
        for region in ctx.regions:
            backend = cloudwatch_backend(ctx, region)
            metrics = list(backend.metric_data)
            for alarm in list(backend.alarms.values()):
                if getattr(alarm, "rule", None):
                    continue  # composite
                try:
                    outcome = evaluate(alarm, metrics, now, ctx.scaled(float(alarm.period or 60)))
                except Exception:
                    log.exception("evaluating alarm %s failed", alarm.name)
                    continue
                if outcome is not None and outcome[0] != alarm.state_value:
                    backend.set_alarm_state(alarm.name, outcome[1], outcome[2], outcome[0])
        with self._evaluated:
            self.evaluations += 1
            self._evaluated.notify_all()

    def _run(self) -> None:
        assert self.ctx is not None
        while not self._stop.is_set() and not self.ctx.stop.is_set():
            try:
                self.evaluate_now()
            except Exception:
                log.exception("alarm evaluation failed")
            self._stop.wait(TICK_SECONDS)
