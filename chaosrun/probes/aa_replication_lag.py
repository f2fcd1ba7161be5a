"""Replication lag between regions, seen from outside: write in one region, read in the others.

Writes ``samples`` marker records with unique ids through ``write_url`` (POST, JSON body) and
polls each region's ``read_urls`` template (``.../orders/{id}``) until the record appears. The
lag of a region is measured from the acknowledgement of the write to the first successful read,
so it over-estimates by at most ``poll_interval_s`` plus one read's latency.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import Field

from chaosrun.faults.base import Params
from chaosrun.journal.model import Measurement
from chaosrun.plugins import PROBES
from chaosrun.probes.base import Probe, ProbeOutput
from chaosrun.probes.httpclient import HttpPool


class ReplicationLagParams(Params):
    write_url: str = Field(description="POST endpoint in the source region, e.g. .../orders")
    read_urls: dict[str, str] = Field(min_length=1, description="region -> GET template with {id}")
    samples: int = Field(3, ge=1, le=100, description="marker writes")
    id_field: str = "id"
    body: dict[str, Any] = Field(default_factory=dict, description="extra fields of the marker")
    wait_s: float = Field(30.0, gt=0, le=900, description="give up on a region after this")
    poll_interval_s: float = Field(0.05, gt=0, le=10)
    timeout: float = Field(5.0, gt=0, le=60)
    max_lag_ms: float | None = Field(None, ge=0, description="bound for the measurement")


class RegionLag(Params):
    lag_ms: float | None = Field(description="worst sample; None: never seen within wait_s")
    p50_ms: float | None
    replicated: int
    samples: int


class ReplicationLagOutput(ProbeOutput):
    source: str
    regions: dict[str, RegionLag]
    max_lag_ms: float | None = Field(description="worst region; None when one never caught up")
    bound_ms: float | None = None
    write_errors: list[str] = Field(default_factory=list)
    ok: bool | None

    def measurements(self) -> list[Measurement]:
        return [
            Measurement(
                name=f"replication lag {region}",
                value=lag.lag_ms,
                unit="ms",
                bound=self.bound_ms,
                ok=None
                if self.bound_ms is None
                else lag.lag_ms is not None and lag.lag_ms <= self.bound_ms,
                detail=f"{lag.replicated}/{lag.samples} markers seen",
            )
            for region, lag in self.regions.items()
        ]


def poll_until(check: Any, deadline: float, interval: float, stop: Any) -> float | None:
    """Call ``check()`` until true; return the monotonic time it first was, or None."""
    while True:
        if check():
            return time.monotonic()
        if time.monotonic() >= deadline or stop.wait(interval):
            return None


@PROBES.register("chaosrun.probes.activeactive.replication_lag")
class ActiveActiveReplicationLag(Probe[ReplicationLagParams, ReplicationLagOutput]):
    name = "chaosrun.probes.activeactive.replication_lag"
    summary = "Write marker records in one region and time their appearance in the others."
    params_model = ReplicationLagParams
    output_model = ReplicationLagOutput

    def _sample(self, region: str, template: str, marker: str, acked: float) -> float | None:
        p: ReplicationLagParams = self.params
        pool = HttpPool(timeout=p.timeout)
        url = template.replace("{id}", marker)
        try:
            seen = poll_until(
                lambda: 200 <= pool.request("GET", url, read_limit=1024).status < 300,
                acked + p.wait_s,
                p.poll_interval_s,
                self.stop,
            )
        finally:
            pool.close()
        return None if seen is None else round((seen - acked) * 1000, 3)

    def run(self) -> ReplicationLagOutput:
        p: ReplicationLagParams = self.params
        writer = HttpPool(timeout=p.timeout)
        lags: dict[str, list[float | None]] = {r: [] for r in p.read_urls}
        errors: list[str] = []
        source = ""
        with ThreadPoolExecutor(max_workers=len(p.read_urls)) as pool:
            for _ in range(p.samples):
                marker = "chaosrun-lag-" + uuid.uuid4().hex
                body = json.dumps({**p.body, p.id_field: marker}).encode()
                result = writer.request(
                    "POST", p.write_url, body=body, headers={"Content-Type": "application/json"}
                )
                acked = time.monotonic()
                if not 200 <= result.status < 300:
                    errors.append(f"marker write answered {result.status} {result.error or ''}")
                    continue
                source = result.headers.get("x-chaosrun-region", source)
                futures = {
                    r: pool.submit(self._sample, r, t, marker, acked)
                    for r, t in p.read_urls.items()
                }
                for region, fut in futures.items():
                    lags[region].append(fut.result())
        writer.close()
        regions: dict[str, RegionLag] = {}
        for region, values in lags.items():
            seen = sorted(v for v in values if v is not None)
            regions[region] = RegionLag(
                lag_ms=seen[-1] if seen and len(seen) == len(values) else None,
                p50_ms=seen[(len(seen) - 1) // 2] if seen else None,
                replicated=len(seen),
                samples=len(values),
            )
        worst: float | None = None
        if regions and all(r.lag_ms is not None for r in regions.values()):
            worst = max(r.lag_ms for r in regions.values() if r.lag_ms is not None)
        ok = None
        if p.max_lag_ms is not None:
            ok = worst is not None and worst <= p.max_lag_ms and not errors
        return ReplicationLagOutput(
            source=source,
            regions=regions,
            max_lag_ms=worst,
            bound_ms=p.max_lag_ms,
            write_errors=errors,
            ok=ok,
        )
