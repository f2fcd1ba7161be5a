"""Traffic sessions: the typed result of a traffic run, and where later probes find it.

``chaosrun.probes.traffic.generate`` publishes its result under a ``session`` name; the
active-active probes (availability, RTO, RPO ...) read it back by that name. Sessions live in a
process-local store (live while the generator still runs: ``get`` returns a fresh snapshot) and
in ``$CHAOSRUN_HOME/traffic/<session>.json`` (written atomically at the end, and every few
seconds while running) so a separate process can read them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from chaosrun.errors import InvalidInput
from chaosrun.journal.model import Measurement, Series
from chaosrun.probes.base import ProbeOutput
from chaosrun.probes.histogram import RELATIVE_ERROR
from chaosrun.probes.traffic_worker import Bucket, RawRun

SESSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class TrafficSessionMissing(InvalidInput):
    """No traffic session of that name in this process or under ``$CHAOSRUN_HOME/traffic``."""


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _ms(us: float | None) -> float | None:
    return None if us is None else round(us / 1000, 3)


class TrafficBucket(BaseModel):
    """One time bucket (``bucket_ms`` wide) of requests, keyed by when they were due."""

    start: datetime
    requests: int
    successes: int
    errors: dict[str, int] = Field(default_factory=dict, description="error count by status")
    regions: dict[str, int] = Field(default_factory=dict, description="responses by region")
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None

    @property
    def success_ratio(self) -> float | None:
        return self.successes / self.requests if self.requests else None


class AckWrite(BaseModel):
    """A write the system acknowledged (2xx): it must still be readable after recovery."""

    id: str
    sent_at: datetime
    acked_at: datetime
    region: str | None = None
    endpoint: str


class TrafficOutput(ProbeOutput):
    """Result of a traffic session (also what ``traffic_store.get`` returns)."""

    session: str
    live: bool = Field(False, description="a snapshot taken while the traffic still runs")
    started: datetime
    ended: datetime
    duration_s: float
    target_rate: float
    achieved_rate: float
    requests: int
    successes: int
    errors: int
    success_ratio: float | None
    availability_pct: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    p999_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    by_status: dict[str, int] = Field(description="responses by status; 0 = no response")
    errors_by_status: dict[str, int]
    by_region: dict[str, int]
    bucket_ms: int
    buckets: list[TrafficBucket]
    acknowledged_writes: list[AckWrite]
    workers: int = 1
    late_requests: int = Field(0, description="sent > 1 bucket late: the generator saturated")
    worker_errors: list[str] = Field(default_factory=list)
    samples_ms: list[float] = Field(default_factory=list)
    histogram_relative_error: float = RELATIVE_ERROR

    def series(self) -> list[Series]:
        prefix = f"traffic {self.session}"
        start = min((b.start for b in self.buckets), default=None)
        offsets = [(b.start - start).total_seconds() for b in self.buckets] if start else []

        def column(name: str, unit: str, values: list[float | None]) -> Series:
            return Series(
                name=f"{prefix} {name}", unit=unit, start=start, offsets=offsets, values=values
            )

        out = [
            column("success ratio", "ratio", [b.success_ratio for b in self.buckets]),
            column(
                "requests", f"req/{self.bucket_ms}ms", [float(b.requests) for b in self.buckets]
            ),
        ]
        for q in ("p50", "p95", "p99"):
            out.append(column(q, "ms", [getattr(b, f"{q}_ms") for b in self.buckets]))
        return out

    def measurements(self) -> list[Measurement]:
        return [
            Measurement(
                name=f"traffic {self.session} availability",
                value=self.availability_pct,
                unit="%",
                detail=f"{self.successes}/{self.requests} requests succeeded",
            ),
            Measurement(name=f"traffic {self.session} p99", value=self.p99_ms, unit="ms"),
        ]

    def buckets_between(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[TrafficBucket]:
        return [
            b
            for b in self.buckets
            if (start is None or b.start >= start) and (end is None or b.start < end)
        ]


def _bucket_model(key: int, bucket: Bucket, bucket_s: float) -> TrafficBucket:
    h = bucket.hist
    return TrafficBucket(
        start=_ts(key * bucket_s),
        requests=bucket.requests,
        successes=bucket.successes,
        errors={str(k): v for k, v in sorted(bucket.errors.items())},
        regions=dict(sorted(bucket.regions.items())),
        p50_ms=_ms(h.percentile(50)),
        p95_ms=_ms(h.percentile(95)),
        p99_ms=_ms(h.percentile(99)),
    )


def from_raw(raw: RawRun, session: str, target_rate: float, live: bool = False) -> TrafficOutput:
    """Turn a (merged) raw run into the typed session result."""
    requests = sum(b.requests for b in raw.buckets.values())
    successes = sum(b.successes for b in raw.buckets.values())
    errors_by_status: dict[str, int] = {}
    by_region: dict[str, int] = {}
    for b in raw.buckets.values():
        for k, n in b.errors.items():
            errors_by_status[str(k)] = errors_by_status.get(str(k), 0) + n
        for r, n in b.regions.items():
            by_region[r] = by_region.get(r, 0) + n
    duration = max(raw.ended - raw.started, 0.0)
    ratio = successes / requests if requests else None
    h = raw.hist
    return TrafficOutput(
        session=session,
        live=live,
        started=_ts(raw.started),
        ended=_ts(raw.ended),
        duration_s=round(duration, 3),
        target_rate=target_rate,
        achieved_rate=round(requests / duration, 2) if duration > 0 else 0.0,
        requests=requests,
        successes=successes,
        errors=requests - successes,
        success_ratio=ratio,
        availability_pct=None if ratio is None else round(ratio * 100, 4),
        p50_ms=_ms(h.percentile(50)),
        p95_ms=_ms(h.percentile(95)),
        p99_ms=_ms(h.percentile(99)),
        p999_ms=_ms(h.percentile(99.9)),
        max_ms=_ms(h.max),
        mean_ms=_ms(h.mean()),
        by_status={str(k): v for k, v in sorted(raw.statuses.items())},
        errors_by_status=dict(sorted(errors_by_status.items())),
        by_region=dict(sorted(by_region.items())),
        bucket_ms=round(raw.bucket_s * 1000),
        buckets=[_bucket_model(k, raw.buckets[k], raw.bucket_s) for k in sorted(raw.buckets)],
        acknowledged_writes=[
            AckWrite(
                id=w.id,
                sent_at=_ts(w.sent),
                acked_at=_ts(w.acked),
                region=w.region,
                endpoint=w.endpoint,
            )
            for w in sorted(raw.writes, key=lambda w: w.sent)
        ],
        workers=raw.workers,
        late_requests=raw.late,
        worker_errors=raw.worker_errors,
        samples_ms=raw.samples,
    )


# -- the store ---------------------------------------------------------------------------------
_lock = threading.Lock()
_final: dict[str, TrafficOutput] = {}
_live: dict[str, Callable[[], TrafficOutput]] = {}


def traffic_dir() -> Path:
    home = os.environ.get("CHAOSRUN_HOME") or str(Path.home() / ".chaosrun")
    return Path(home) / "traffic"


def session_path(session: str) -> Path:
    if not re.match(SESSION_PATTERN, session):
        raise InvalidInput(
            f"traffic session name {session!r}: use letters, digits, '.', '_' or '-' only"
        )
    return traffic_dir() / f"{session}.json"


def persist(output: TrafficOutput) -> Path:
    path = session_path(output.session)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(output.model_dump_json(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def put(output: TrafficOutput, save: bool = True) -> None:
    """Publish a finished session (replacing an earlier one of the same name)."""
    with _lock:
        _final[output.session] = output
    if save:
        persist(output)


def register_live(session: str, snapshot: Callable[[], TrafficOutput]) -> None:
    """While a generator runs, ``get(session)`` returns ``snapshot()``."""
    with _lock:
        _live[session] = snapshot


def unregister_live(session: str) -> None:
    with _lock:
        _live.pop(session, None)


def get(session: str) -> TrafficOutput:
    with _lock:
        live = _live.get(session)
        final = _final.get(session)
    if live is not None:
        return live()
    if final is not None:
        return final
    path = session_path(session)
    if path.exists():
        return TrafficOutput.model_validate_json(path.read_text(encoding="utf-8"))
    raise TrafficSessionMissing(
        f"no traffic session {session!r} in this run or at {path}. Run "
        "chaosrun.probes.traffic.generate with session: " + session + " first (e.g. as a "
        "background activity of the method), or check the session name."
    )


def clear(session: str | None = None) -> None:
    """Forget sessions held in memory (files are kept). For tests and long-lived processes."""
    with _lock:
        if session is None:
            _final.clear()
            _live.clear()
        else:
            _final.pop(session, None)
            _live.pop(session, None)


def window_success(
    buckets: list[TrafficBucket],
) -> tuple[int, int, float | None]:
    """``(requests, successes, ratio)`` over buckets."""
    n = sum(b.requests for b in buckets)
    ok = sum(b.successes for b in buckets)
    return n, ok, (ok / n if n else None)
