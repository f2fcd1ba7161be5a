"""CloudWatch metrics the sandbox's data plane emits, written straight into moto's backend.

AWS/Lambda: ``Invocations``, ``Errors``, ``Throttles``, ``Duration`` (ms), ``ConcurrentExecutions``
with dimension ``FunctionName``. AWS/ApiGateway: ``Count``, ``4XXError``, ``5XXError``,
``Latency`` (ms), ``IntegrationLatency`` with dimensions ``ApiName`` and ``Stage``.

Every datum keeps its exact (second) timestamp, so ``get_metric_statistics`` /
``get_metric_data`` answer any period, from 1 s up. The alarm evaluator and other components use
:func:`put_metric` and :func:`datapoints` / :func:`statistic` (documented in docs/sandbox.md).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import ClassVar, Literal

from chaosrun.sandbox.base import Component, SandboxContext

DEFAULT_ACCOUNT = "123456789012"
Statistic = Literal["Sum", "Average", "Minimum", "Maximum", "SampleCount"]

_lock = threading.Lock()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _naive(ts: dt.datetime) -> dt.datetime:
    return ts.astimezone(dt.UTC).replace(tzinfo=None) if ts.tzinfo else ts


def _backend(region: str, account_id: str = DEFAULT_ACCOUNT):
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[account_id][region]


def put_metric(
    region: str,
    namespace: str,
    name: str,
    value: float,
    dimensions: Mapping[str, str],
    unit: str | None = None,
    timestamp: dt.datetime | None = None,
    account_id: str = DEFAULT_ACCOUNT,
) -> None:
    """Record one datum as if the service had published it."""
    datum = {
        "MetricName": name,
        "Value": float(value),
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Timestamp": _naive(timestamp or _utcnow()),
    }
    if unit:
        datum["Unit"] = unit
    with _lock:
        _backend(region, account_id).put_metric_data(namespace, [datum])


def datapoints(
    region: str,
    namespace: str,
    name: str,
    dimensions: Mapping[str, str],
    start: dt.datetime,
    end: dt.datetime,
    account_id: str = DEFAULT_ACCOUNT,
) -> list[tuple[dt.datetime, float]]:
    """Raw values in ``[start, end)`` whose dimensions include ``dimensions``, oldest first.

    Covers data the sandbox emitted and data put through ``PutMetricData`` (single values)."""
    start, end = _naive(start), _naive(end)
    wanted = [{"Name": k, "Value": v} for k, v in dimensions.items()]
    out: list[tuple[dt.datetime, float]] = []
    with _lock:
        data = list(_backend(region, account_id).metric_data)
    for md in data:
        if md.namespace != namespace or md.name != name or not start <= md.timestamp < end:
            continue
        if wanted and not md.filter(None, None, wanted):
            continue
        value = getattr(md, "value", None)
        if value is None:  # aggregated datum (StatisticValues): use its sum
            value = getattr(md, "sum_stat", None)
        if value is not None:
            out.append((md.timestamp, float(value)))
    out.sort(key=lambda p: p[0])
    return out


def statistic(
    region: str,
    namespace: str,
    name: str,
    dimensions: Mapping[str, str],
    stat: Statistic,
    start: dt.datetime,
    end: dt.datetime,
    account_id: str = DEFAULT_ACCOUNT,
) -> float | None:
    """One statistic over ``[start, end)``; None when there is no data (CloudWatch: missing)."""
    values = [v for _, v in datapoints(region, namespace, name, dimensions, start, end, account_id)]
    if not values:
        return None
    if stat == "Sum":
        return sum(values)
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "Minimum":
        return min(values)
    if stat == "Maximum":
        return max(values)
    return float(len(values))


def record_lambda(
    region: str,
    function_name: str,
    *,
    invocations: int = 0,
    errors: int = 0,
    throttles: int = 0,
    duration_ms: float | None = None,
    concurrent: int | None = None,
) -> None:
    """What AWS/Lambda publishes for one invocation attempt."""
    dims = {"FunctionName": function_name}
    ns = "AWS/Lambda"
    if invocations:
        put_metric(region, ns, "Invocations", invocations, dims, "Count")
        put_metric(region, ns, "Errors", errors, dims, "Count")
    if throttles:
        put_metric(region, ns, "Throttles", throttles, dims, "Count")
    if duration_ms is not None:
        put_metric(region, ns, "Duration", duration_ms, dims, "Milliseconds")
    if concurrent is not None:
        put_metric(region, ns, "ConcurrentExecutions", concurrent, dims, "Count")


def record_api(
    region: str,
    api_name: str,
    stage: str,
    status: int,
    latency_ms: float,
    integration_latency_ms: float | None = None,
) -> None:
    """What AWS/ApiGateway publishes for one request."""
    dims = {"ApiName": api_name, "Stage": stage}
    ns = "AWS/ApiGateway"
    put_metric(region, ns, "Count", 1, dims, "Count")
    put_metric(region, ns, "4XXError", 1 if 400 <= status < 500 else 0, dims, "Count")
    put_metric(region, ns, "5XXError", 1 if status >= 500 else 0, dims, "Count")
    put_metric(region, ns, "Latency", latency_ms, dims, "Milliseconds")
    if integration_latency_ms is not None:
        put_metric(region, ns, "IntegrationLatency", integration_latency_ms, dims, "Milliseconds")


class Metrics(Component):
    """Marks metrics as on; the emitters above are called by the Lambda and API components."""

    name: ClassVar[str] = "metrics"
    order: ClassVar[int] = 5

    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
