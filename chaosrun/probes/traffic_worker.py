"""The synthetic-traffic loop, and a Lambda handler running it for fan-out.

``run_traffic(config)`` drives a weighted mix of requests at a target rate against one or more
endpoints and returns a :class:`RawRun`: per-bucket counts and latency histograms, the overall
histogram and the acknowledged writes. The probe ``chaosrun.probes.traffic.generate`` runs it in
threads locally, or invokes :func:`handler` in N Lambda functions and merges their ``RawRun``s.

Scheduling is open-loop: request *i* is due at ``start + i / rate`` whatever happened to earlier
requests. Workers take the next ticket from a shared counter, sleep until it is due and send it;
latency is measured from the *due* time, so a stalled system shows up as latency instead of
silently lowering the request rate (no coordinated omission). Buckets are keyed by the absolute
due time (``floor(epoch / bucket_s)``) so runs from several machines line up when merged.

Standard library only, so the Lambda package is three files: this one, ``histogram.py`` and
``httpclient.py`` (:func:`worker_package` builds it; handler ``traffic_worker.handler``).
"""

from __future__ import annotations

import io
import itertools
import json
import math
import random
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

try:  # inside the package
    from chaosrun.probes.histogram import Histogram
    from chaosrun.probes.httpclient import HttpPool
except ImportError:  # pragma: no cover - inside the Lambda package (flat layout, no chaosrun)
    from histogram import Histogram  # type: ignore[no-redef]
    from httpclient import HttpPool  # type: ignore[no-redef]


@dataclass
class RequestKind:
    method: str = "GET"
    path: str = "/"
    weight: float = 1.0
    write: bool = False
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect_status: list[int] | None = None  # None: 200..399 succeed
    name: str = ""


@dataclass
class LoopConfig:
    endpoints: list[str]
    requests: list[RequestKind]
    rate: float
    duration: float
    concurrency: int = 32
    timeout: float = 5.0
    bucket_s: float = 0.1
    region_header: str = "X-Chaosrun-Region"
    id_field: str = "id"
    session: str = "default"
    start_at: float | None = None  # epoch seconds; None: now
    keep_samples: int = 0
    seed: int | None = None
    worker_id: str = "local"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoopConfig:
        data = dict(data)
        data["requests"] = [RequestKind(**r) for r in data.get("requests", [])]
        return cls(**data)


@dataclass
class Bucket:
    requests: int = 0
    successes: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)
    hist: Histogram = field(default_factory=Histogram)

    def merge(self, other: Bucket) -> None:
        self.requests += other.requests
        self.successes += other.successes
        for k, n in other.errors.items():
            self.errors[k] = self.errors.get(k, 0) + n
        for r, n in other.regions.items():
            self.regions[r] = self.regions.get(r, 0) + n
        self.hist.merge(other.hist)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.requests,
            "ok": self.successes,
            "err": {str(k): v for k, v in self.errors.items()},
            "reg": self.regions,
            "h": self.hist.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Bucket:
        return cls(
            requests=int(d["n"]),
            successes=int(d["ok"]),
            errors={int(k): int(v) for k, v in d.get("err", {}).items()},
            regions={str(k): int(v) for k, v in d.get("reg", {}).items()},
            hist=Histogram.from_dict(d["h"]),
        )


@dataclass
class AckedWrite:
    id: str
    sent: float  # epoch seconds the request was due
    acked: float  # epoch seconds the 2xx arrived
    region: str | None
    endpoint: str


@dataclass
class RawRun:
    """Mergeable result of one or more traffic loops."""

    bucket_s: float
    started: float
    ended: float
    buckets: dict[int, Bucket] = field(default_factory=dict)
    hist: Histogram = field(default_factory=Histogram)
    writes: list[AckedWrite] = field(default_factory=list)
    samples: list[float] = field(default_factory=list)  # latency ms, if kept
    statuses: dict[int, int] = field(default_factory=dict)  # every response status, 0 = none
    workers: int = 1
    late: int = 0  # requests sent more than one bucket after they were due (saturated client)
    worker_errors: list[str] = field(default_factory=list)

    def merge(self, other: RawRun) -> RawRun:
        if not math.isclose(other.bucket_s, self.bucket_s):
            raise ValueError("cannot merge traffic runs with different bucket sizes")
        self.started = min(self.started, other.started)
        self.ended = max(self.ended, other.ended)
        self.add(other.buckets, other.hist, other.writes, other.samples, other.statuses)
        self.worker_errors.extend(other.worker_errors)
        self.workers += other.workers
        self.late += other.late
        return self

    def add(
        self,
        buckets: dict[int, Bucket],
        hist: Histogram,
        writes: list[AckedWrite],
        samples: list[float],
        statuses: dict[int, int],
    ) -> None:
        for key, bucket in buckets.items():
            mine = self.buckets.get(key)
            if mine is None:
                mine = self.buckets[key] = Bucket()
            mine.merge(bucket)
        self.hist.merge(hist)
        self.writes.extend(writes)
        self.samples.extend(samples)
        for k, n in statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + n

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket_s": self.bucket_s,
            "started": self.started,
            "ended": self.ended,
            "buckets": {str(k): b.to_dict() for k, b in self.buckets.items()},
            "hist": self.hist.to_dict(),
            "writes": [asdict(w) for w in self.writes],
            "samples": self.samples,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "worker_errors": self.worker_errors,
            "workers": self.workers,
            "late": self.late,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RawRun:
        return cls(
            bucket_s=float(d["bucket_s"]),
            started=float(d["started"]),
            ended=float(d["ended"]),
            buckets={int(k): Bucket.from_dict(b) for k, b in d.get("buckets", {}).items()},
            hist=Histogram.from_dict(d.get("hist", {})),
            writes=[AckedWrite(**w) for w in d.get("writes", [])],
            samples=[float(s) for s in d.get("samples", [])],
            statuses={int(k): int(v) for k, v in d.get("statuses", {}).items()},
            worker_errors=[str(e) for e in d.get("worker_errors", [])],
            workers=int(d.get("workers", 1)),
            late=int(d.get("late", 0)),
        )


class _WorkerState:
    """What one thread records; guarded by its own (uncontended) lock for live snapshots."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[int, Bucket] = {}
        self.hist = Histogram()
        self.writes: list[AckedWrite] = []
        self.samples: list[float] = []
        self.statuses: dict[int, int] = {}
        self.late = 0


class TrafficLoop:
    """One run of the open-loop generator; ``snapshot()`` may be called while it runs."""

    def __init__(self, config: LoopConfig, stop: threading.Event | None = None) -> None:
        if config.rate <= 0 or config.duration <= 0:
            raise ValueError("rate and duration must be positive")
        if not config.endpoints or not config.requests:
            raise ValueError("give at least one endpoint and one request kind")
        self.config = config
        self.stop = stop or threading.Event()
        self._states: list[_WorkerState] = []
        self._ticket = itertools.count()
        total = sum(r.weight for r in config.requests)
        self._cum = list(itertools.accumulate(r.weight / total for r in config.requests))
        self.started = config.start_at if config.start_at is not None else time.time()
        self.ended: float | None = None

    # -- running -----------------------------------------------------------------------------
    def run(self) -> RawRun:
        cfg = self.config
        n_threads = max(1, min(cfg.concurrency, math.ceil(cfg.rate * cfg.duration)))
        threads = [
            threading.Thread(target=self._worker, args=(w,), name=f"traffic-{w}", daemon=True)
            for w in range(n_threads)
        ]
        self._states = [_WorkerState() for _ in threads]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.ended = time.time()
        return self.snapshot()

    def _pick(self, rnd: random.Random) -> RequestKind:
        if len(self._cum) == 1:
            return self.config.requests[0]
        x = rnd.random()
        for kind, edge in zip(self.config.requests, self._cum, strict=True):
            if x < edge:
                return kind
        return self.config.requests[-1]

    def _worker(self, w: int) -> None:
        cfg = self.config
        state = self._states[w]
        pool = HttpPool(timeout=cfg.timeout)
        rnd = random.Random(None if cfg.seed is None else cfg.seed * 7919 + w)
        # open-loop schedule on the monotonic clock, anchored to the wall clock once
        mono0, wall0 = time.monotonic(), time.time()
        mono_start = mono0 + (self.started - wall0)
        interval = 1.0 / cfg.rate
        end = mono_start + cfg.duration
        region_header = cfg.region_header.lower()
        bucket_s = cfg.bucket_s
        n_endpoints = len(cfg.endpoints)
        stop = self.stop
        try:
            while not stop.is_set():
                i = next(self._ticket)  # atomic under the GIL: free workers take the next slot
                due = mono_start + i * interval
                # the run ends on time: a generator that fell behind does not make up its
                # backlog after `duration` (requests < rate x duration shows the shortfall)
                if due >= end or time.monotonic() >= end:
                    break
                delay = due - time.monotonic()
                if delay > 0 and stop.wait(delay):
                    break
                kind = self._pick(rnd)
                base = cfg.endpoints[i % n_endpoints]
                url = base.rstrip("/") + kind.path
                body = None
                headers = dict(kind.headers)
                write_id = None
                if kind.write:
                    write_id = uuid.uuid4().hex
                    payload = dict(kind.body or {})
                    payload[cfg.id_field] = write_id
                    payload.setdefault("session", cfg.session)
                    payload.setdefault("seq", i)
                    body = json.dumps(payload).encode()
                    headers.setdefault("Content-Type", "application/json")
                sent = time.monotonic()
                result = pool.request(kind.method, url, body=body, headers=headers, read_limit=4096)
                done = time.monotonic()
                latency_us = int((done - due) * 1e6)
                due_wall = wall0 + (due - mono0)
                if kind.expect_status is not None:
                    ok = result.status in kind.expect_status
                else:
                    ok = 200 <= result.status < 400
                region = result.headers.get(region_header)
                key = math.floor(due_wall / bucket_s)
                with state.lock:
                    bucket = state.buckets.get(key)
                    if bucket is None:
                        bucket = state.buckets[key] = Bucket()
                    bucket.requests += 1
                    if ok:
                        bucket.successes += 1
                    else:
                        bucket.errors[result.status] = bucket.errors.get(result.status, 0) + 1
                    if region:
                        bucket.regions[region] = bucket.regions.get(region, 0) + 1
                    bucket.hist.record(latency_us)
                    state.statuses[result.status] = state.statuses.get(result.status, 0) + 1
                    state.hist.record(latency_us)
                    if sent - due > bucket_s:
                        state.late += 1
                    if write_id is not None and ok:
                        state.writes.append(
                            AckedWrite(
                                id=write_id,
                                sent=due_wall,
                                acked=wall0 + (done - mono0),
                                region=region,
                                endpoint=base,
                            )
                        )
                    if len(state.samples) < cfg.keep_samples:
                        state.samples.append(latency_us / 1000)
        finally:
            pool.close()

    # -- results -----------------------------------------------------------------------------
    def snapshot(self) -> RawRun:
        ended = self.ended if self.ended is not None else time.time()
        raw = RawRun(bucket_s=self.config.bucket_s, started=self.started, ended=ended, workers=1)
        for state in self._states:
            with state.lock:
                raw.add(state.buckets, state.hist, state.writes, state.samples, state.statuses)
                raw.late += state.late
        raw.writes.sort(key=lambda w: w.sent)
        del raw.samples[self.config.keep_samples :]
        return raw


def run_traffic(
    config: LoopConfig,
    stop: threading.Event | None = None,
    on_start: Callable[[TrafficLoop], None] | None = None,
) -> RawRun:
    loop = TrafficLoop(config, stop)
    if on_start is not None:
        on_start(loop)
    return loop.run()


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point: ``{"chaosrun_traffic": LoopConfig dict}`` -> ``{"raw": RawRun dict}``.

    Stops a few seconds before the function's own timeout so the partial result still returns.
    """
    config = LoopConfig.from_dict(event["chaosrun_traffic"])
    stop = threading.Event()
    timer = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        budget = context.get_remaining_time_in_millis() / 1000 - 3.0
        timer = threading.Timer(max(budget, 0.5), stop.set)
        timer.daemon = True
        timer.start()
    try:
        raw = run_traffic(config, stop)
    finally:
        if timer is not None:
            timer.cancel()
    return {"raw": raw.to_dict()}


def worker_package() -> bytes:
    """A zip for a Lambda running :func:`handler` (Python 3.11+, ``traffic_worker.handler``)."""
    here = Path(__file__).parent
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("traffic_worker.py", "histogram.py", "httpclient.py"):
            z.write(here / name, name)
    return buf.getvalue()
