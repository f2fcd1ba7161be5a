"""Availability of a traffic session in a window (e.g. the fault window)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chaosrun.journal.model import Measurement
from chaosrun.plugins import PROBES
from chaosrun.probes.aa_common import SessionWindow
from chaosrun.probes.base import Probe, ProbeOutput
from chaosrun.probes.traffic_store import window_success


class AvailabilityParams(SessionWindow):
    min_availability_pct: float | None = Field(
        None, ge=0, le=100, description="bound: the measurement fails below it"
    )


class AvailabilityOutput(ProbeOutput):
    session: str
    window_start: datetime | None
    window_end: datetime | None
    requests: int
    successes: int
    success_ratio: float | None
    availability_pct: float | None
    min_availability_pct: float | None = None
    ok: bool | None = Field(description="availability >= bound (None without a bound)")

    def measurements(self) -> list[Measurement]:
        return [
            Measurement(
                name=f"availability ({self.session})",
                value=self.availability_pct,
                unit="%",
                bound=self.min_availability_pct,
                ok=self.ok,
                detail=f"{self.successes}/{self.requests} requests succeeded",
            )
        ]


@PROBES.register("chaosrun.probes.activeactive.availability")
class Availability(Probe[AvailabilityParams, AvailabilityOutput]):
    name = "chaosrun.probes.activeactive.availability"
    summary = "Success ratio of a traffic session's requests in a window (e.g. the fault window)."
    params_model = AvailabilityParams
    output_model = AvailabilityOutput

    def run(self) -> AvailabilityOutput:
        p: AvailabilityParams = self.params
        out = p.load()
        start, end = p.bounds(out)
        n, ok, ratio = window_success(p.buckets(out))
        pct = None if ratio is None else round(ratio * 100, 4)
        verdict = None
        if p.min_availability_pct is not None:  # no requests in the window: not shown available
            verdict = pct is not None and pct >= p.min_availability_pct
        return AvailabilityOutput(
            session=p.session,
            window_start=start,
            window_end=end,
            requests=n,
            successes=ok,
            success_ratio=ratio,
            availability_pct=pct,
            min_availability_pct=p.min_availability_pct,
            ok=verdict,
        )
