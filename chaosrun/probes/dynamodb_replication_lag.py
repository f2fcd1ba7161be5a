"""Global-table replication lag per region.

``mode: metric`` reads the ``AWS/DynamoDB ReplicationLatency`` metric (``TableName``,
``ReceivingRegion``) over a window; ``mode: marker`` writes a unique marker item in the source
region and polls ``GetItem`` in each other region until it appears, then deletes it. The marker
measures what clients see, including the time between the write's acknowledgement and the first
successful read (an over-estimate by at most ``poll_interval_s`` plus one read).
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from chaosrun.faults.base import Params
from chaosrun.journal.model import Measurement
from chaosrun.plugins import PROBES
from chaosrun.probes.aa_replication_lag import poll_until
from chaosrun.probes.base import Probe, ProbeOutput


class DynamoLagParams(Params):
    table: str
    regions: list[str] = Field(min_length=1, description="receiving regions")
    source_region: str | None = Field(None, description="where the marker is written")
    mode: Literal["metric", "marker"] = "marker"
    key_attribute: str = Field("id", description="string partition key (marker mode)")
    sort_key: dict[str, str] | None = Field(
        None, description="{attribute: value} if the table has a string sort key"
    )
    extra: dict[str, str] = Field(default_factory=dict, description="more string attributes")
    wait_s: float = Field(30.0, gt=0, le=900)
    poll_interval_s: float = Field(0.05, gt=0, le=10)
    window_s: int = Field(300, ge=60, description="metric mode: window ending now")
    statistic: Literal["Average", "Maximum"] = "Maximum"
    max_lag_ms: float | None = Field(None, ge=0, description="bound for the measurement")


class DynamoLagOutput(ProbeOutput):
    table: str
    mode: str
    source_region: str
    lag_ms: dict[str, float | None] = Field(description="per region; None: not seen / no data")
    max_lag_ms: float | None
    bound_ms: float | None = None
    ok: bool | None = None

    def measurements(self) -> list[Measurement]:
        return [
            Measurement(
                name=f"replication lag {self.table} {self.source_region}->{region}",
                value=lag,
                unit="ms",
                bound=self.bound_ms,
                ok=None if self.bound_ms is None else lag is not None and lag <= self.bound_ms,
                detail=self.mode,
            )
            for region, lag in self.lag_ms.items()
        ]


@PROBES.register("chaosrun.probes.dynamodb.replication_lag")
class DynamoReplicationLag(Probe[DynamoLagParams, DynamoLagOutput]):
    name = "chaosrun.probes.dynamodb.replication_lag"
    summary = "Global-table replication lag per region (ReplicationLatency metric or a marker)."
    params_model = DynamoLagParams
    output_model = DynamoLagOutput
    permissions = (
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
        "cloudwatch:GetMetricStatistics",
    )

    def _metric(self, source: str) -> dict[str, float | None]:
        p: DynamoLagParams = self.params
        cw = self.clients.client("cloudwatch", source)
        end = datetime.now(UTC)
        out: dict[str, float | None] = {}
        for region in p.regions:
            resp = cw.get_metric_statistics(
                Namespace="AWS/DynamoDB",
                MetricName="ReplicationLatency",
                Dimensions=[
                    {"Name": "TableName", "Value": p.table},
                    {"Name": "ReceivingRegion", "Value": region},
                ],
                StartTime=end - timedelta(seconds=p.window_s),
                EndTime=end,
                Period=60,
                Statistics=[p.statistic],
            )
            values = [float(d[p.statistic]) for d in resp.get("Datapoints", [])]
            if not values:
                out[region] = None
            elif p.statistic == "Maximum":
                out[region] = max(values)
            else:
                out[region] = sum(values) / len(values)
        return out

    def _key(self, marker: str) -> dict[str, Any]:
        p: DynamoLagParams = self.params
        key: dict[str, Any] = {p.key_attribute: {"S": marker}}
        for attr, value in (p.sort_key or {}).items():
            key[attr] = {"S": value}
        return key

    def _marker(self, source: str) -> dict[str, float | None]:
        p: DynamoLagParams = self.params
        marker = "chaosrun-lag-" + uuid.uuid4().hex
        key = self._key(marker)
        item = {**key, **{k: {"S": v} for k, v in p.extra.items()}}
        src = self.clients.client("dynamodb", source)
        src.put_item(TableName=p.table, Item=item)
        acked = time.monotonic()

        def seen_in(region: str) -> float | None:
            client = self.clients.client("dynamodb", region)

            def present() -> bool:
                resp = client.get_item(TableName=p.table, Key=key, ConsistentRead=True)
                return "Item" in resp

            at = poll_until(present, acked + p.wait_s, p.poll_interval_s, self.stop)
            return None if at is None else round((at - acked) * 1000, 3)

        try:
            with ThreadPoolExecutor(max_workers=len(p.regions)) as pool:
                return dict(zip(p.regions, pool.map(seen_in, p.regions), strict=True))
        finally:
            src.delete_item(TableName=p.table, Key=key)

    def run(self) -> DynamoLagOutput:
        p: DynamoLagParams = self.params
        source = p.source_region or self.clients.default_region
        lags = self._metric(source) if p.mode == "metric" else self._marker(source)
        worst = None
        if lags and all(v is not None for v in lags.values()):
            worst = max(v for v in lags.values() if v is not None)
        ok = None if p.max_lag_ms is None else worst is not None and worst <= p.max_lag_ms
        return DynamoLagOutput(
            table=p.table,
            mode=p.mode,
            source_region=source,
            lag_ms=lags,
            max_lag_ms=worst,
            bound_ms=p.max_lag_ms,
            ok=ok,
        )
