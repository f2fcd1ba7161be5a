"""Sandbox benchmark: start time, resident memory, and requests per second of the app's API.

1. Start: ``--starts`` fresh ``python -c`` processes (moto keeps state per process) each time
   ``Sandbox().start()`` (moto server, components, sample app deployed in us-east-1 and
   eu-west-1) and report the import of ``chaosrun.sandbox`` separately. Baseline in the same run:
   a bare moto ``ThreadedMotoServer`` start in a fresh process (control plane only, no app).
2. Footprint and throughput: one sandbox process (a ``python -c`` child, so the load generator
   in this process does not share its GIL) reports ``VmRSS``/``VmHWM`` from its own
   ``/proc/self/status`` after deploy and after the load. The load is chaosrun's traffic
   generator (``chaosrun.probes.traffic.generate`` through ``run_probe``) for ``--seconds`` s per
   case: regional endpoint and global endpoint x ``GET /health`` and ``POST /orders``.
   First the capacity: a closed-loop threaded client (``--concurrency`` keep-alive
   connections, each sending its next request as soon as the previous one is answered); then
   the sustained rate: chaosrun's open-loop generator at ``--sustain`` x that capacity, with
   the error ratio and latency percentiles (measured from each request's due time).

Run: python -m bench.sandbox [--starts 5] [--seconds 10] [--concurrency 8] [--sustain 0.8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

_MEM = """
def _mem():
    out = {}
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(('VmRSS:', 'VmHWM:')):
                k, v = line.split(':')
                out[k] = int(v.split()[0]) / 1024
    return out
"""

START_SCRIPT = (
    _MEM
    + """
import json, time
t0 = time.perf_counter()
from chaosrun.sandbox import Sandbox
t1 = time.perf_counter()
sb = Sandbox()
sb.start()
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "start": t2 - t1, **_mem()}), flush=True)
sb.stop()
"""
)

MOTO_SCRIPT = """
import json, time
t0 = time.perf_counter()
from moto.server import ThreadedMotoServer
t1 = time.perf_counter()
s = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
s.start()
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "start": t2 - t1}), flush=True)
s.stop()
"""

SERVE_SCRIPT = (
    _MEM
    + """
import json, os, sys
from chaosrun.sandbox import Sandbox
with Sandbox() as sb:
    info = {
        "env": sb.env(),
        "regional": sb.app.regions["us-east-1"].url,
        "global": sb.app.global_url,
        **_mem(),
    }
    print(json.dumps(info), flush=True)
    for line in sys.stdin:  # "mem" -> memory line; EOF -> stop
        print(json.dumps(_mem()), flush=True)
"""
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def fresh(script: str) -> dict[str, Any]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", script], env=_env(), capture_output=True, text=True, timeout=120
    )
    if proc.returncode != 0:
        raise SystemExit(f"start failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - start
    return result


def med(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):5.2f} s  "
        f"min {min(values):5.2f}  max {max(values):5.2f}  n={len(values)}"
    )


def closed_loop(url: str, method: str, path: str, args: argparse.Namespace) -> dict[str, Any]:
    """``--concurrency`` threads, one keep-alive connection each, for ``--seconds`` s."""
    parts = urlsplit(url)
    base = parts.path.rstrip("/")
    deadline = time.monotonic() + args.seconds
    counts: list[Counter[int]] = []

    def worker() -> None:
        seen: Counter[int] = Counter()
        counts.append(seen)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            body = json.dumps({"item": "bench", "id": f"{threading.get_ident()}-{n}"})
            try:
                if method == "POST":
                    headers = {"Content-Type": "application/json"}
                    conn.request(method, base + path, body=body, headers=headers)
                else:
                    conn.request(method, base + path)
                resp = conn.getresponse()
                resp.read()
                seen[resp.status] += 1
            except (OSError, http.client.HTTPException):
                seen[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    total: Counter[int] = sum(counts, Counter())
    n = sum(total.values())
    ok = sum(v for k, v in total.items() if 200 <= k < 400)
    return {"rps": n / elapsed, "requests": n, "errors": (n - ok) / max(n, 1), "by": dict(total)}


def load(url: str, method: str, path: str, rate: float, args: argparse.Namespace) -> Any:
    from chaosrun.aws.clients import AwsClients
    from chaosrun.probes.base import run_probe
    from chaosrun.probes.traffic_generate import TrafficGenerate

    request: dict[str, Any] = {"method": method, "path": path}
    if method == "POST":
        request["body"] = {"item": "bench"}
    return run_probe(
        TrafficGenerate,
        {
            "session": "bench",
            "endpoints": [url],
            "requests": [request],
            "rate": rate,
            "duration": args.seconds,
            "concurrency": args.concurrency,
            "persist": False,
        },
        AwsClients(),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sustain", type=float, default=0.8)
    args = parser.parse_args()

    moto = [fresh(MOTO_SCRIPT) for _ in range(args.starts)]
    starts = [fresh(START_SCRIPT) for _ in range(args.starts)]
    print(f"== start ({args.starts} fresh processes each)")
    print(f"bare moto server: import {med([m['import'] for m in moto])}")
    print(f"bare moto server: start  {med([m['start'] for m in moto])}")
    print(f"sandbox: import chaosrun.sandbox  {med([s['import'] for s in starts])}")
    print(f"sandbox: start -> app deployed    {med([s['start'] for s in starts])}  (goal < 3 s)")
    print(f"sandbox: whole process            {med([s['process'] for s in starts])}")
    rss = statistics.median(s["VmRSS"] for s in starts)
    print(f"sandbox: VmRSS after deploy       median {rss:6.0f} MB")

    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE_SCRIPT],
        env=_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        info = json.loads(proc.stdout.readline())
        os.environ.update(info["env"])
        mem_deploy = {k: info[k] for k in ("VmRSS", "VmHWM")}
        cases = [
            ("regional", "GET", "/health"),
            ("regional", "POST", "/orders"),
            ("global", "GET", "/health"),
            ("global", "POST", "/orders"),
        ]
        print(
            f"== throughput, {args.seconds:.0f} s per case; the client runs in this process, "
            "the sandbox in a child process"
        )
        for where, method, path in cases:
            cap = closed_loop(info[where], method, path, args)
            print(
                f"{where:8s} {method:4s} {path:8s} closed loop x{args.concurrency}: "
                f"{cap['rps']:7.1f} req/s  requests {cap['requests']:6d}  "
                f"error ratio {cap['errors']:.4f}  statuses {cap['by']}"
            )
            rate = max(1.0, round(cap["rps"] * args.sustain))
            out = load(info[where], method, path, rate, args)
            print(
                f"{'':23s} generator at {rate:5.0f}/s: {out.achieved_rate:7.1f} req/s  "
                f"requests {out.requests:6d}  "
                f"error ratio {out.errors / max(out.requests, 1):.4f}  "
                f"p50 {out.p50_ms or 0:.0f} ms  p99 {out.p99_ms or 0:.0f} ms  "
                f"late {out.late_requests}"
            )
        proc.stdin.write("mem\n")
        proc.stdin.flush()
        mem_load = json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print("== memory of the sandbox process (goal < 300 MB)")
    print(f"after deploy: VmRSS {mem_deploy['VmRSS']:.0f} MB  VmHWM {mem_deploy['VmHWM']:.0f} MB")
    print(f"after load  : VmRSS {mem_load['VmRSS']:.0f} MB  VmHWM {mem_load['VmHWM']:.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
