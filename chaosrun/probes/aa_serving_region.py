"""Which region serves the global endpoint, told by a response header.

With ``expect_region`` and ``wait_s``, it samples again every second until that region serves
or ``wait_s`` has passed: a rollback that waits for traffic to fail back to the primary leaves the
system as the next experiment expects to find it (Route 53 needs ``FailureThreshold`` healthy
probes before it routes back, ~30 s with the sample app's checks).
"""

from __future__ import annotations

import time
from typing import ClassVar

from pydantic import Field, model_validator

from chaosrun.errors import ProbeFailed
from chaosrun.faults.base import Params
from chaosrun.plugins import PROBES
from chaosrun.probes import traffic_store
from chaosrun.probes.base import Probe, ProbeOutput
from chaosrun.probes.httpclient import HttpPool
from chaosrun.probes.traffic_store import SESSION_PATTERN

_ONE_SOURCE = "give exactly one of url or session"
_WAIT_NEEDS = "wait_s needs url and expect_region"


class ServingRegionParams(Params):
    rules: ClassVar[tuple[str, ...]] = (_ONE_SOURCE, _WAIT_NEEDS)

    url: str | None = Field(None, description="global endpoint to sample (GET)")
    session: str | None = Field(
        None, pattern=SESSION_PATTERN, description="or: read the last buckets of this session"
    )
    samples: int = Field(5, ge=1, le=1000, description="GETs (url) or last buckets (session)")
    region_header: str = "X-Chaosrun-Region"
    timeout: float = Field(5.0, gt=0, le=60)
    expect_region: str | None = Field(None, description="ok only if this region serves")
    wait_s: float = Field(
        0.0, ge=0, le=600, description="with url and expect_region: sample until it serves"
    )

    @model_validator(mode="after")
    def _source(self) -> ServingRegionParams:
        if (self.url is None) == (self.session is None):
            raise ValueError(_ONE_SOURCE)
        if self.wait_s and (self.url is None or self.expect_region is None):
            raise ValueError(_WAIT_NEEDS)
        return self


class ServingRegionOutput(ProbeOutput):
    region: str | None = Field(description="the region answering most; None: no header seen")
    regions: dict[str, int]
    share: float | None = Field(description="share of answers from that region")
    unanswered: int = 0
    ok: bool | None = None
    waited_s: float = Field(0.0, description="time spent waiting for expect_region (wait_s)")


@PROBES.register("chaosrun.probes.activeactive.serving_region")
class ServingRegion(Probe[ServingRegionParams, ServingRegionOutput]):
    name = "chaosrun.probes.activeactive.serving_region"
    summary = "The region serving the global endpoint (response header), sampled or from traffic."
    params_model = ServingRegionParams
    output_model = ServingRegionOutput

    def run(self) -> ServingRegionOutput:
        p: ServingRegionParams = self.params
        started = time.monotonic()
        out = self._sample()
        while not out.ok and p.wait_s and time.monotonic() - started < p.wait_s:
            # the engine sets stop on an abort or the activity's timeout: stop waiting then
            if self.stop.wait(min(1.0, max(0.0, p.wait_s - (time.monotonic() - started)))):
                break
            out = self._sample()
        out.waited_s = round(time.monotonic() - started, 3) if p.wait_s else 0.0
        if p.wait_s and not out.ok:  # a rollback that waited in vain must say so
            raise ProbeFailed(
                f"{p.expect_region} did not serve {p.url} within {p.wait_s:g} s "
                f"(last seen: {out.region or 'no region header'}, {out.regions})"
            )
        return out

    def _sample(self) -> ServingRegionOutput:
        p: ServingRegionParams = self.params
        counts: dict[str, int] = {}
        unanswered = 0
        if p.url is not None:
            pool = HttpPool(timeout=p.timeout)
            try:
                for _ in range(p.samples):
                    result = pool.request("GET", p.url, read_limit=1024)
                    region = result.headers.get(p.region_header.lower())
                    if region:
                        counts[region] = counts.get(region, 0) + 1
                    else:
                        unanswered += 1
            finally:
                pool.close()
        else:
            out = traffic_store.get(p.session or "default")
            for bucket in [b for b in out.buckets if b.requests][-p.samples :]:
                for region, n in bucket.regions.items():
                    counts[region] = counts.get(region, 0) + n
                unanswered += bucket.requests - sum(bucket.regions.values())
        total = sum(counts.values())
        region = max(counts, key=lambda r: counts[r]) if counts else None
        share = counts[region] / total if region is not None else None
        ok = None if p.expect_region is None else region == p.expect_region
        return ServingRegionOutput(
            region=region, regions=counts, share=share, unanswered=unanswered, ok=ok
        )
