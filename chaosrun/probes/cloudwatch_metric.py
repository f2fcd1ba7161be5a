"""A statistic of a CloudWatch metric over a window ending now."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, field_validator

from chaosrun.faults.base import Params
from chaosrun.journal.model import Series
from chaosrun.plugins import PROBES
from chaosrun.probes.base import Probe, ProbeOutput

STANDARD = ("Sum", "Average", "Maximum", "Minimum", "SampleCount")
PERCENTILE = re.compile(r"^p\d{1,2}(\.\d{1,2})?$")


class MetricStatisticParams(Params):
    namespace: str = Field(description="e.g. AWS/Lambda")
    metric_name: str = Field(description="e.g. Errors")
    dimensions: dict[str, str] = Field(default_factory=dict)
    statistic: str = Field("Sum", description="Sum, Average, Maximum, Minimum, SampleCount, pNN")
    window_s: int = Field(300, ge=60, le=86400 * 15, description="window ending now")
    period_s: int | None = Field(None, ge=1, description="datapoint period (default: window)")
    region: str | None = None
    default: float | None = Field(None, description="value reported when there are no datapoints")

    @field_validator("statistic")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in STANDARD and not PERCENTILE.match(v):
            raise ValueError(f"statistic {v!r}: use one of {', '.join(STANDARD)} or pNN (p99)")
        return v


class Datapoint(Params):
    timestamp: datetime
    value: float


class MetricStatisticOutput(ProbeOutput):
    namespace: str
    metric_name: str
    statistic: str
    value: float | None = Field(description="over the whole window; `default` if no data")
    datapoints: list[Datapoint]
    unit: str | None = None
    window_start: datetime
    window_end: datetime

    def series(self) -> list[Series]:
        return [
            Series.from_points(
                f"{self.namespace} {self.metric_name} {self.statistic}",
                [(d.timestamp, d.value) for d in self.datapoints],
                unit=self.unit or "",
            )
        ]


def combine(statistic: str, points: list[dict[str, Any]]) -> float | None:
    """One value for the window from per-period datapoints.

    Sum/SampleCount add up, Maximum/Minimum take the extreme, Average is weighted by the sample
    count; a percentile over several periods is reported as the worst period (conservative).
    """
    if not points:
        return None
    if statistic in ("Sum", "SampleCount"):
        return float(sum(p[statistic] for p in points))
    if statistic == "Maximum":
        return float(max(p["Maximum"] for p in points))
    if statistic == "Minimum":
        return float(min(p["Minimum"] for p in points))
    if statistic == "Average":
        weights = [p.get("SampleCount", 1.0) or 0.0 for p in points]
        total = sum(weights)
        if total <= 0:
            return float(sum(p["Average"] for p in points) / len(points))
        return float(sum(p["Average"] * w for p, w in zip(points, weights, strict=True)) / total)
    return float(max(p["ExtendedStatistics"][statistic] for p in points))


@PROBES.register("chaosrun.probes.cloudwatch.metric_statistic")
class MetricStatistic(Probe[MetricStatisticParams, MetricStatisticOutput]):
    name = "chaosrun.probes.cloudwatch.metric_statistic"
    summary = "A statistic (Sum/Average/Maximum/pNN) of a CloudWatch metric over a window."
    params_model = MetricStatisticParams
    output_model = MetricStatisticOutput
    permissions = ("cloudwatch:GetMetricStatistics",)

    def run(self) -> MetricStatisticOutput:
        p: MetricStatisticParams = self.params
        end = datetime.now(UTC)
        start = end - timedelta(seconds=p.window_s)
        period = p.period_s or max(60, math.ceil(p.window_s / 60) * 60)
        kwargs: dict[str, Any] = {
            "Namespace": p.namespace,
            "MetricName": p.metric_name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in p.dimensions.items()],
            "StartTime": start,
            "EndTime": end,
            "Period": period,
        }
        if p.statistic in STANDARD:
            stats = {p.statistic, "SampleCount"}
            kwargs["Statistics"] = sorted(stats)
        else:
            kwargs["ExtendedStatistics"] = [p.statistic]
        resp = self.clients.client("cloudwatch", p.region).get_metric_statistics(**kwargs)
        points = sorted(resp.get("Datapoints", []), key=lambda d: d["Timestamp"])
        value = combine(p.statistic, points)
        unit = points[0].get("Unit") if points else None

        def one(d: dict[str, Any]) -> float:
            if p.statistic in STANDARD:
                return float(d[p.statistic])
            return float(d["ExtendedStatistics"][p.statistic])

        return MetricStatisticOutput(
            namespace=p.namespace,
            metric_name=p.metric_name,
            statistic=p.statistic,
            value=value if value is not None else p.default,
            datapoints=[Datapoint(timestamp=d["Timestamp"], value=one(d)) for d in points],
            unit=unit,
            window_start=start,
            window_end=end,
        )
