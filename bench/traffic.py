"""Traffic generator benchmark: ``chaosrun.probes.traffic.generate`` vs locust, same endpoint.

A loopback HTTP server (bench/_httpserver.py, asyncio, its own process pinned to core 0) answers
every request after a lognormal delay (median ``--delay-ms``). Each generator runs in its own
process pinned to core 1, one after the other, ``--repeats`` times, interleaved:

- chaosrun: the probe (bench/_gen.py) at a rate far above what one core can send, stopped after
  ``--seconds``: its open loop degenerates to ``--concurrency`` threads sending back to back;
- locust (side venv bench/.work/locust-venv) headless, ``-u`` = ``--concurrency`` users with no
  wait, both ``HttpUser`` (requests, locust's default) and ``FastHttpUser`` (geventhttpclient).

Throughput is each tool's own figure: requests / (last request - start).

Then precision, at a fixed ``--rate`` that neither tool saturates: chaosrun keeps every raw
latency sample (``keep_samples``) and the exact nearest-rank p50/p95/p99 of those samples are
the reference for the percentiles the probe reports from its histogram. A wrapper around
``HttpPool.request`` also times every call from send to response: an independent reference that
excludes the open-loop wake-up lag (the probe measures from when a request was *due*). Locust,
at the same rate (``constant_throughput``), is compared with its own raw ``response_time``
samples (an event hook) the same way.

Run: python -m bench.traffic [--seconds 10] [--repeats 3] [--concurrency 64] [--rate 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._gen import nearest_rank
from bench._httpserver import http_server

LOCUST = Path(__file__).parent / ".work" / "locust-venv" / "bin" / "locust"
LOCUSTFILE = Path(__file__).parent / "_locustfile.py"
SERVER_CPU, CLIENT_CPU = 0, 1


def run_chaosrun(url: str, spec: dict[str, Any]) -> dict[str, Any]:
    params = {"endpoints": [url], "persist": False, **spec.pop("params")}
    spec = {"cpu": CLIENT_CPU, "params": params, **spec}
    proc = subprocess.run(
        [sys.executable, "-m", "bench._gen", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def locust_percentile(response_times: dict[str, int], total: int, p: float) -> float:
    """Locust's own percentile over its rounded response-time buckets (as it prints them)."""
    want = int(total * p / 100)
    seen = 0
    for rt in sorted((int(k) for k in response_times), reverse=True):
        seen += response_times[str(rt)]
        if total - seen <= want:
            return float(rt)
    return 0.0


def run_locust(
    url: str, user_class: str, users: int, seconds: float, per_user_rate: float = 0.0
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "stats.json"
        samples = Path(tmp) / "samples.json"
        env = {**os.environ, "BENCH_THROUGHPUT_PER_USER": str(per_user_rate)}
        if per_user_rate > 0:
            env["BENCH_SAMPLES"] = str(samples)
        cmd = ["taskset", "-c", str(CLIENT_CPU), str(LOCUST), "--headless", "--skip-log"]
        cmd += ["-f", str(LOCUSTFILE), user_class, "-u", str(users), "-r", str(users * 100)]
        cmd += [
            "-t",
            f"{round(seconds)}s",
            "--host",
            url,
            "--json-file",
            str(report.with_suffix("")),
        ]
        cmd += ["--stop-timeout", "5"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 120)
        if proc.returncode != 0 and not report.exists():
            raise RuntimeError(f"locust failed ({proc.returncode}): {proc.stderr[-2000:]}")
        stats = json.loads(report.read_text())
        entry = next(e for e in stats if e["name"] == "/")
        n = entry["num_requests"]
        out: dict[str, Any] = {
            "requests": n,
            "failures": entry["num_failures"],
            "rate": n / (entry["last_request_timestamp"] - entry["start_time"]),
            "reported": {
                f"p{q}": locust_percentile(entry["response_times"], n, q) for q in (50, 95, 99)
            },
        }
        if samples.exists():
            raw = json.loads(samples.read_text())
            out["samples"] = {f"p{q}": nearest_rank(raw["samples"], q) for q in (50, 95, 99)}
            out["samples_kept"] = len(raw["samples"])
            span = raw["span"]
            out["raw_rate"] = len(raw["samples"]) / (span[1] - span[0]) if len(span) == 2 else 0
        return out


def err_pct(value: float | None, ref: float | None) -> float:
    if value is None or ref is None or ref == 0:
        return float("nan")
    return (value - ref) / ref * 100


def pct_row(label: str, got: dict[str, Any], ref: dict[str, Any]) -> str:
    cells = []
    for q in ("p50", "p95", "p99"):
        cells.append(f"{q} {got[q]:8.3f} vs {ref[q]:8.3f} ms ({err_pct(got[q], ref[q]):+6.2f}%)")
    return f"  {label:<38}" + "  ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0, help="per throughput run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64, help="threads / locust users")
    parser.add_argument("--delay-ms", type=float, default=2.0, help="server median delay")
    parser.add_argument("--sigma", type=float, default=0.5, help="lognormal shape of the delay")
    parser.add_argument("--rate", type=float, default=1000.0, help="precision run, req/s")
    parser.add_argument("--precision-seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not LOCUST.exists():
        sys.exit(
            f"{LOCUST} missing: python -m venv bench/.work/locust-venv && "
            "bench/.work/locust-venv/bin/pip install locust"
        )
    lifetime = args.repeats * (3 * args.seconds + 40) + 2 * args.precision_seconds + 120
    tools = ("chaosrun", "locust HttpUser", "locust FastHttpUser")
    rates: dict[str, list[float]] = {t: [] for t in tools}
    with http_server(
        cpu=SERVER_CPU,
        lifetime=lifetime,
        delay_ms=args.delay_ms,
        dist="lognormal",
        sigma=args.sigma,
    ) as url:
        for _ in range(args.repeats):
            ours = run_chaosrun(
                url,
                {
                    "stop_after": args.seconds,
                    "params": {
                        "rate": 100_000,
                        "duration": args.seconds + 600,
                        "concurrency": args.concurrency,
                    },
                },
            )
            rates["chaosrun"].append(ours["achieved_rate"])
            for tool, cls in (("locust HttpUser", "HttpGet"), ("locust FastHttpUser", "FastGet")):
                got = run_locust(url, cls, args.concurrency, args.seconds)
                rates[tool].append(got["rate"])
        precise = run_chaosrun(
            url,
            {
                "time_calls": True,
                "params": {
                    "rate": args.rate,
                    "duration": args.precision_seconds,
                    "concurrency": args.concurrency,
                    "keep_samples": 1_000_000,
                },
            },
        )
        loc_precise = run_locust(
            url,
            "FastGet",
            args.concurrency,
            args.precision_seconds,
            per_user_rate=args.rate / args.concurrency,
        )

    print(
        f"machine: {os.cpu_count()} cores; server pinned to core {SERVER_CPU}, each generator "
        f"to core {CLIENT_CPU}"
    )
    print(
        f"server delay lognormal median {args.delay_ms} ms sigma {args.sigma}; "
        f"concurrency/users {args.concurrency}; {args.seconds:.0f} s per run, "
        f"{args.repeats} runs each, interleaved"
    )
    print("\nthroughput (requests/s, median of runs; all runs listed)")
    med = {t: statistics.median(v) for t, v in rates.items()}
    for t in tools:
        runs = ", ".join(f"{r:.0f}" for r in rates[t])
        print(f"  {t:<22}{med[t]:8.0f}   [{runs}]")
    for t in tools[1:]:
        print(f"  ratio chaosrun / {t:<22}: {med['chaosrun'] / med[t]:5.2f}x  (goal >= 1.0x)")

    print(f"\nprecision at {args.rate:.0f} req/s for {args.precision_seconds:.0f} s")
    print(
        f"  chaosrun: {precise['requests']} requests, {precise['achieved_rate']:.0f} req/s, "
        f"late {precise['late_requests']}, raw samples kept {precise['samples_kept']}, "
        f"calls timed {precise['calls_timed']}"
    )
    reported = {q: precise[f"{q}_ms"] for q in ("p50", "p95", "p99")}
    print(pct_row("reported vs raw samples (from due)", reported, precise["samples"]))
    print(pct_row("reported vs send->response timing", reported, precise["calls"]))
    worst = max(abs(err_pct(reported[q], precise["samples"][q])) for q in reported)
    print(f"  worst |error| vs raw samples: {worst:.2f}%  (goal <= 5%)")
    print(
        f"  locust FastHttpUser: {loc_precise['requests']} requests, "
        f"{loc_precise.get('raw_rate', 0):.0f} req/s, raw samples {loc_precise['samples_kept']}"
    )
    print(
        pct_row(
            "locust reported vs its raw samples", loc_precise["reported"], loc_precise["samples"]
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
