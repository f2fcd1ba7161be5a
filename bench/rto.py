"""RTO precision: ``chaosrun.probes.activeactive.rto`` on a scripted outage of known length.

A loopback server (bench/_httpserver.py, its own process pinned to core 0) fails for exactly
``L`` seconds starting at a wall-clock instant chosen in advance, either by answering 503 or by
closing its listening socket and every open connection (connection refused / reset) and
listening again on the same port afterwards. ``chaosrun.probes.traffic.generate`` drives
``--rate`` req/s at it in this process (pinned to core 1) with 100 ms buckets; then the RTO
probe computes the recovery time from the session, twice:

- ``fault_start`` given (the outage start, as a fault activity would record it);
- ``fault_start`` inferred from the first failing bucket (the probe's default).

The error is |measured - L|. The probe's documented resolution is one bucket at each end.

Run: python -m bench.rto [--lengths 2.0 5.0] [--runs 3] [--rate 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench._httpserver import http_server

LEAD_S = 2.0  # traffic before the outage
TAIL_S = 3.0  # traffic after it (covers sustain_s = 1.0 with margin)


def one_run(mode: str, length: float, rate: float, session: str) -> dict[str, Any]:
    from chaosrun.aws.clients import AwsClients, AwsSettings
    from chaosrun.probes import traffic_store
    from chaosrun.probes.aa_rto import Rto
    from chaosrun.probes.base import run_probe
    from chaosrun.probes.traffic_generate import TrafficGenerate

    clients = AwsClients(AwsSettings(region="us-east-1"))
    # the outage is scheduled before the server starts: its start is known to the microsecond
    outage_start = time.time() + 1.0 + LEAD_S
    with http_server(
        cpu=0,
        lifetime=LEAD_S + length + TAIL_S + 30,
        delay_ms=1.0,
        outages=[(outage_start, length)],
        outage_mode=mode,
    ) as url:
        time.sleep(max(outage_start - LEAD_S - time.time(), 0))
        traffic = run_probe(
            TrafficGenerate,
            {
                "session": session,
                "endpoints": [url],
                "rate": rate,
                "duration": LEAD_S + length + TAIL_S,
                "concurrency": 32,
                "timeout": 1.0,
                "bucket_ms": 100,
                "persist": False,
            },
            clients,
        )
    given = run_probe(
        Rto,
        {
            "session": session,
            "fault_start": datetime.fromtimestamp(outage_start, UTC).isoformat(),
            "threshold": 0.95,
            "sustain_s": 1.0,
        },
        clients,
    )
    inferred = run_probe(Rto, {"session": session, "threshold": 0.95, "sustain_s": 1.0}, clients)
    traffic_store.clear(session)
    d = traffic.model_dump()
    return {
        "given": given.model_dump()["rto_s"],
        "inferred": inferred.model_dump()["rto_s"],
        "requests": d["requests"],
        "errors": d["errors"],
        "by_status": d["by_status"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", type=float, nargs="+", default=[2.0, 5.0])
    parser.add_argument("--modes", nargs="+", default=["503", "refused"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    print(
        f"machine: {os.cpu_count()} cores; server on core 0, generator + RTO probe on core 1; "
        f"rate {args.rate:.0f} req/s, 100 ms buckets, threshold 0.95, sustain 1.0 s"
    )
    worst = {"given": 0.0, "inferred": 0.0}
    for mode in args.modes:
        for length in args.lengths:
            errs: dict[str, list[float]] = {"given": [], "inferred": []}
            for i in range(args.runs):
                r = one_run(mode, length, args.rate, f"bench-rto-{mode}-{length}-{i}")
                cells = []
                for key in ("given", "inferred"):
                    got = r[key]
                    e = abs(got - length) if got is not None else float("inf")
                    errs[key].append(e)
                    cells.append(f"{key} {got} s (|err| {e:.3f})")
                print(
                    f"  {mode:>7} L={length:.1f}s run {i + 1}: "
                    + "; ".join(cells)
                    + f"; {r['requests']} requests, statuses {r['by_status']}"
                )
                sys.stdout.flush()
            for key in errs:
                worst[key] = max(worst[key], max(errs[key]))
                print(
                    f"  {mode:>7} L={length:.1f}s fault_start {key:<8}: "
                    f"mean |err| {statistics.mean(errs[key]):.3f} s, max {max(errs[key]):.3f} s"
                )
    for key, w in worst.items():
        verdict = "met" if round(w, 3) <= 0.2 else "NOT met"  # RTOs are rounded to 1 ms
        print(f"worst |measured - L| with fault_start {key}: {w:.3f} s  (goal <= 0.2 s: {verdict})")


if __name__ == "__main__":
    main()
