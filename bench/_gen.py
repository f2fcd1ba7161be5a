"""Run ``chaosrun.probes.traffic.generate`` in a process of its own, pinned to one core.

    python -m bench._gen '{"cpu": 1, "stop_after": 10, "time_calls": false, "params": {...}}'

Prints one JSON line: the probe's summary figures, plus (when asked) the exact nearest-rank
percentiles of the raw samples the probe kept (``keep_samples``) and of an independent timing of
every HTTP call (``time_calls``: a wrapper around ``HttpPool.request``, send to response).
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from typing import Any


def nearest_rank(values: list[float], p: float) -> float | None:
    """Exact nearest-rank percentile (the definition the probe's histogram approximates)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def percentiles(values: list[float]) -> dict[str, float | None]:
    return {f"p{q}": nearest_rank(values, q) for q in (50, 95, 99)}


def run(spec: dict[str, Any]) -> dict[str, Any]:
    from chaosrun.aws.clients import AwsClients, AwsSettings
    from chaosrun.probes.base import run_probe
    from chaosrun.probes.httpclient import HttpPool
    from chaosrun.probes.traffic_generate import TrafficGenerate

    calls: list[float] = []
    if spec.get("time_calls"):
        original = HttpPool.request

        def timed_request(self: HttpPool, *args: Any, **kwargs: Any) -> Any:
            t0 = time.monotonic()
            result = original(self, *args, **kwargs)
            calls.append((time.monotonic() - t0) * 1000)
            return result

        HttpPool.request = timed_request  # type: ignore[method-assign]

    stop = threading.Event()
    if spec.get("stop_after"):
        timer = threading.Timer(spec["stop_after"], stop.set)
        timer.daemon = True
        timer.start()
    clients = AwsClients(AwsSettings(region="us-east-1"))
    t0 = time.perf_counter()
    out = run_probe(TrafficGenerate, spec["params"], clients, stop)
    wall = time.perf_counter() - t0
    d = out.model_dump(mode="json")
    result = {
        k: d[k]
        for k in (
            "requests",
            "successes",
            "achieved_rate",
            "duration_s",
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "p999_ms",
            "mean_ms",
            "late_requests",
            "by_status",
        )
    }
    result["wall_s"] = wall
    samples = d["samples_ms"]
    result["samples_kept"] = len(samples)
    result["samples"] = percentiles(samples)
    result["calls_timed"] = len(calls)
    result["calls"] = percentiles(calls)
    if spec.get("return_buckets"):
        result["output"] = d
    return result


def main() -> None:
    spec = json.loads(sys.argv[1])
    if spec.get("cpu") is not None:
        os.sched_setaffinity(0, {spec["cpu"]})
    print(json.dumps(run(spec)), flush=True)


if __name__ == "__main__":
    main()
