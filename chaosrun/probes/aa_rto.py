"""Recovery time objective measured on a traffic session.

RTO runs from the fault start (given, or the start of the first bucket whose success ratio is
below ``threshold``) to the start of the first bucket from which the success ratio stays at or
above ``threshold`` for ``sustain_s`` seconds. Buckets without requests are neutral. Precision
is the bucket resolution (``bucket_ms`` of the session, 100 ms by default) at each end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from chaosrun.journal.model import Measurement
from chaosrun.plugins import PROBES
from chaosrun.probes.aa_common import SessionWindow
from chaosrun.probes.base import Probe, ProbeOutput
from chaosrun.probes.traffic_store import TrafficBucket


class RtoParams(SessionWindow):
    threshold: float = Field(0.95, gt=0, le=1, description="success ratio counted as recovered")
    sustain_s: float = Field(1.0, ge=0, description="recovered only if it holds this long")
    fault_start: datetime | None = Field(
        None, description="when the fault began (default: the first failing bucket)"
    )
    max_rto_s: float | None = Field(None, ge=0, description="bound for the measurement")


class RtoOutput(ProbeOutput):
    session: str
    rto_s: float | None = Field(description="None when the session ended before recovery")
    failure_observed: bool
    recovered: bool
    fault_start: datetime | None
    first_failure: datetime | None
    recovered_at: datetime | None
    resolution_s: float
    failed_requests: int = Field(description="failed requests between fault start and recovery")
    rto_lower_bound_s: float | None = Field(None, description="if not recovered: at least this")
    max_rto_s: float | None = None
    ok: bool | None

    def measurements(self) -> list[Measurement]:
        if not self.failure_observed:
            detail = "no failing bucket: nothing to recover from"
        elif self.recovered:
            detail = f"recovered at {self.recovered_at:%H:%M:%S.%f}"[:-3]
        else:
            detail = f"not recovered when the session ended (>= {self.rto_lower_bound_s} s)"
        return [
            Measurement(
                name=f"RTO ({self.session})",
                value=self.rto_s,
                unit="s",
                bound=self.max_rto_s,
                ok=self.ok,
                detail=f"{detail}; resolution {self.resolution_s} s",
            )
        ]


def _failing(b: TrafficBucket, threshold: float) -> bool:
    ratio = b.success_ratio
    return ratio is not None and ratio < threshold


def measure_rto(
    buckets: list[TrafficBucket],
    bucket_s: float,
    threshold: float,
    sustain_s: float,
    fault_start: datetime | None,
    session_end: datetime,
) -> tuple[datetime | None, datetime | None, datetime | None, int, bool]:
    """``(fault_start, first_failure, recovered_at, failed_requests, session_covers_recovery)``."""
    live = [b for b in buckets if b.requests]
    step = timedelta(seconds=bucket_s)
    after = [b for b in live if fault_start is None or b.start + step > fault_start]
    first_fail = next((b for b in after if _failing(b, threshold)), None)
    if first_fail is None:
        return fault_start, None, None, 0, True
    start = fault_start or first_fail.start
    failed = 0
    candidates = [b for b in after if b.start >= first_fail.start]
    sustain = timedelta(seconds=sustain_s)
    for i, b in enumerate(candidates):
        if _failing(b, threshold):
            failed += b.requests - b.successes
            continue
        horizon = b.start + sustain
        if horizon > session_end:
            break  # not enough session left to call it sustained
        if all(not _failing(c, threshold) for c in candidates[i:] if c.start < horizon):
            return start, first_fail.start, b.start, failed, True
        failed += b.requests - b.successes
    return start, first_fail.start, None, failed, False


@PROBES.register("chaosrun.probes.activeactive.rto")
class Rto(Probe[RtoParams, RtoOutput]):
    name = "chaosrun.probes.activeactive.rto"
    summary = (
        "Recovery time on a traffic session: fault start until the success ratio is back above "
        "a threshold for a sustained period (bucket resolution)."
    )
    params_model = RtoParams
    output_model = RtoOutput

    def run(self) -> RtoOutput:
        p: RtoParams = self.params
        out = p.load()
        bucket_s = out.bucket_ms / 1000
        _, end = p.bounds(out)
        session_end = min(end, out.ended) if end is not None else out.ended
        start, first_fail, recovered_at, failed, _ = measure_rto(
            p.buckets(out), bucket_s, p.threshold, p.sustain_s, p.fault_start, session_end
        )
        observed = first_fail is not None
        rto: float | None
        lower: float | None = None
        if not observed:
            rto = 0.0
        elif recovered_at is not None and start is not None:
            rto = round(max((recovered_at - start).total_seconds(), 0.0), 3)
        else:
            rto = None
            if start is not None:
                lower = round((session_end - start).total_seconds(), 3)
        ok = None
        if p.max_rto_s is not None:
            ok = rto is not None and rto <= p.max_rto_s
        return RtoOutput(
            session=p.session,
            rto_s=rto,
            failure_observed=observed,
            recovered=not observed or recovered_at is not None,
            fault_start=start,
            first_failure=first_fail,
            recovered_at=recovered_at,
            resolution_s=bucket_s,
            failed_requests=failed,
            rto_lower_bound_s=lower,
            max_rto_s=p.max_rto_s,
            ok=ok,
        )
