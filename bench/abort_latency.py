"""Abort latency: from a steady-state deviation to every fault restored.

A fresh sandbox (sample app deployed) runs in this process. Each run starts the runner as a
subprocess on an experiment whose method throttles ``orders-health`` (reserved concurrency 0)
and then pauses for a long time. The hypothesis probe (:mod:`bench._flagprobe`) returns True
until a flag file exists; the benchmark creates the flag at a moment it picks (1 s plus a random
fraction of the check interval after it saw the throttle), and the probe writes the time of its
first failing answer. A poller thread reads the function's reserved concurrency every 20 ms
through the AWS API, so the restore moment is cross-checked independently of the runner.

- chaosrun: ``chaosrun run`` with ``chaosrun: {monitoring: {interval: 0.5}}``, fault
  ``chaosrun.faults.awslambda.throttle``, ``pauses.after: 60``; restore time from the journal
  (``TargetRecord.restored_at``) and from the poller.
- Chaos Toolkit (side venv, bench/.work/ctk-venv): ``chaos run --hypothesis-strategy
  continuously --hypothesis-frequency 0.5 --fail-fast --rollback-strategy always`` with
  ``chaosaws.awslambda.actions.put_function_concurrency`` then ``pauses.after: 20`` and the
  rollback ``delete_function_concurrency``; restore time from the poller.

Latencies reported: flip -> restored (what an operator sees: includes waiting for the next
check), first failing probe answer -> restored (the runner's reaction). Baseline measured in
the same run: one bare ``DeleteFunctionConcurrency`` call.

Run: python -m bench.abort_latency [--runs 5] [--ctk-runs 3] [--interval 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
CTK_BIN = Path(__file__).parent / ".work" / "ctk-venv" / "bin"
FUNCTION = "orders-health"
REGION = "us-east-1"


def _probe(flag: Path, record: Path) -> dict[str, Any]:
    return {
        "type": "probe",
        "name": "flag-absent",
        "tolerance": True,
        "provider": {
            "type": "python",
            "module": "bench._flagprobe",
            "func": "healthy",
            "arguments": {"flag": str(flag), "record": str(record)},
        },
    }


def chaosrun_experiment(flag: Path, record: Path, interval: float, pause: float) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "title": "abort latency (chaosrun)",
        "description": "throttle, then a long pause; the hypothesis deviates mid-pause",
        "chaosrun": {"monitoring": {"interval": interval}},
        "steady-state-hypothesis": {"title": "flag absent", "probes": [_probe(flag, record)]},
        "method": [
            {
                "type": "action",
                "name": "throttle",
                "provider": {
                    "type": "python",
                    "module": "chaosrun.faults.awslambda",
                    "func": "throttle",
                    "arguments": {
                        "names": [FUNCTION],
                        "regions": [REGION],
                        "reserved_concurrency": 0,
                    },
                },
                "pauses": {"after": pause},
            }
        ],
    }


def ctk_experiment(flag: Path, record: Path, pause: float) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "title": "abort latency (chaostoolkit)",
        "description": "throttle, then a long pause; the hypothesis deviates mid-pause",
        "configuration": {"aws_region": REGION},
        "steady-state-hypothesis": {"title": "flag absent", "probes": [_probe(flag, record)]},
        "method": [
            {
                "type": "action",
                "name": "throttle",
                "provider": {
                    "type": "python",
                    "module": "chaosaws.awslambda.actions",
                    "func": "put_function_concurrency",
                    "arguments": {"function_name": FUNCTION, "concurrent_executions": 0},
                },
                "pauses": {"after": pause},
            }
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "unthrottle",
                "provider": {
                    "type": "python",
                    "module": "chaosaws.awslambda.actions",
                    "func": "delete_function_concurrency",
                    "arguments": {"function_name": FUNCTION},
                },
            }
        ],
    }


@dataclass
class Poller:
    """Reads the reserved concurrency every ``period`` s; notes throttle and restore times."""

    period: float = 0.02
    throttled_at: float | None = None
    restored_at: float | None = None
    polls: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        lam = boto3.client("lambda", region_name=REGION)
        while not self._stop.is_set():
            got = lam.get_function_concurrency(FunctionName=FUNCTION)
            value = got.get("ReservedConcurrentExecutions")
            at = time.time()
            self.polls += 1
            if self.throttled_at is None and value == 0:
                self.throttled_at = at
            elif self.throttled_at is not None and value != 0:
                self.restored_at = at
                return
            self._stop.wait(self.period)

    def stop(self) -> None:
        self._stop.set()


def _wait(pred: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return False


def _ts(value: str | None) -> float | None:
    if not value:
        return None
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.timestamp()


def one_run(kind: str, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        flag, record, journal = tmp / "flag", tmp / "first-failure", tmp / "journal.json"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CHAOSRUN_HOME": str(tmp / "home")}
        if kind == "chaosrun":
            exp = chaosrun_experiment(flag, record, args.interval, args.pause)
            cmd = [sys.executable, "-m", "chaosrun", "run", "exp.json", "--journal", str(journal)]
            timeout = args.pause + 60
        else:
            exp = ctk_experiment(flag, record, args.ctk_pause)
            cmd = [
                str(CTK_BIN / "chaos"), "--no-version-check", "--no-log-file", "run", "exp.json",
                "--journal-path", str(journal), "--hypothesis-strategy", "continuously",
                "--hypothesis-frequency", str(args.interval), "--fail-fast",
                "--rollback-strategy", args.ctk_rollback_strategy,
            ]  # fmt: skip
            timeout = args.ctk_pause + 60
        (tmp / "exp.json").write_text(json.dumps(exp), encoding="utf-8")
        poller = Poller()
        thread = threading.Thread(target=poller.run, daemon=True)
        thread.start()
        proc = subprocess.Popen(
            cmd, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            if not _wait(lambda: poller.throttled_at is not None, 60):
                raise SystemExit(f"{kind}: the throttle never showed up")
            time.sleep(args.flip_after + rng.uniform(0, args.interval))
            flip = time.time()
            flag.write_text("deviate")
            out, _ = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            poller.stop()
            thread.join(timeout=5)
        first_fail = float(record.read_text()) if record.exists() else None
        data = json.loads(journal.read_text()) if journal.exists() else {}
        result: dict[str, Any] = {
            "kind": kind,
            "exit": proc.returncode,
            "flip": flip,
            "first_fail": first_fail,
            "poll_restored": poller.restored_at,
            "journal_restored": None,
            "status": data.get("status"),
        }
        if kind == "chaosrun":
            targets = [t for f in data["chaosrun"]["faults"] for t in f["targets"]]
            stamps = [_ts(t.get("restored_at")) for t in targets]
            result["journal_restored"] = (
                max(s for s in stamps if s is not None) if all(stamps) and stamps else None
            )
            result["verdict"] = data["chaosrun"]["verdict"]
            result["deviated_at"] = _ts(data["chaosrun"].get("deviated_at"))
        else:
            ends = [_ts(r.get("end")) for r in data.get("rollbacks") or []]
            result["journal_restored"] = max((e for e in ends if e), default=None)
        if poller.restored_at is None:
            result["tail"] = out[-1500:]
        return result


LATENCIES = [
    ("flip -> restored (poller)", "flip", "poll_restored"),
    ("first failing probe -> restored (poller)", "first_fail", "poll_restored"),
    ("first failing probe -> restored (journal)", "first_fail", "journal_restored"),
    ("journal vs poller restore time", "journal_restored", "poll_restored"),
]


def _fmt(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"median {statistics.median(values):6.2f} s  max {max(values):6.2f} s  n={len(values)}"


def _lat(results: list[dict[str, Any]], start: str, end: str) -> list[float]:
    return [r[end] - r[start] for r in results if r.get(start) and r.get(end)]


def bare_restore_floor() -> float:
    lam = boto3.client("lambda", region_name=REGION)
    times = []
    for _ in range(5):
        lam.put_function_concurrency(FunctionName=FUNCTION, ReservedConcurrentExecutions=0)
        start = time.perf_counter()
        lam.delete_function_concurrency(FunctionName=FUNCTION)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ctk-runs", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--pause", type=float, default=60.0)
    parser.add_argument("--ctk-pause", type=float, default=20.0)
    parser.add_argument("--ctk-rollback-strategy", default="always")
    parser.add_argument("--flip-after", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from chaosrun.sandbox import Sandbox

    rng = random.Random(args.seed)
    results: list[dict[str, Any]] = []
    with Sandbox() as sb:
        os.environ.update(sb.env())
        floor = bare_restore_floor()
        for _ in range(args.runs):
            results.append(one_run("chaosrun", args, rng))
        if (CTK_BIN / "chaos").exists():
            for _ in range(args.ctk_runs):
                results.append(one_run("ctk", args, rng))
        else:
            print("side venv missing: chaostoolkit runs skipped", file=sys.stderr)
    print(
        f"interval={args.interval}s  chaosrun pause={args.pause:.0f}s  "
        f"ctk pause={args.ctk_pause:.0f}s  flip at throttle+{args.flip_after}s+U(0,interval)"
    )
    print(f"baseline: one bare DeleteFunctionConcurrency call: {floor * 1000:.0f} ms")
    for r in results:
        fields = [
            f"{k}={r[k] - r['flip']:+.3f}"
            for k in ("first_fail", "deviated_at", "journal_restored", "poll_restored")
            if r.get(k)
        ]
        extra = f" verdict={r.get('verdict')}" if "verdict" in r else f" status={r['status']}"
        print(f"  {r['kind']:8s} exit={r['exit']}{extra}  (s after flip) " + " ".join(fields))
        if "tail" in r:
            print("    NOT RESTORED during the run; output tail:\n" + r["tail"])
    for kind in ("chaosrun", "ctk"):
        rs = [r for r in results if r["kind"] == kind]
        if not rs:
            continue
        print(f"{kind}:")
        for label, a, b in LATENCIES:
            print(f"  {label:42s}: {_fmt(_lat(rs, a, b))}")
    ours = _lat([r for r in results if r["kind"] == "chaosrun"], "flip", "poll_restored")
    ctk = _lat([r for r in results if r["kind"] == "ctk"], "flip", "poll_restored")
    if ours:
        print(f"goal flip -> restored <= 1.5 s: max {max(ours):.2f} s -> "
              f"{'met' if max(ours) <= 1.5 else 'NOT met'}")  # fmt: skip
    if ours and ctk:
        print(f"ratio chaostoolkit / chaosrun (median flip -> restored): "
              f"{statistics.median(ctk) / statistics.median(ours):5.1f}x")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
