"""Start-up benchmark: whole-process wall time of ``chaosrun run`` vs ``chaos run``.

The same one-probe experiment (a python probe ``os.path.exists("/")`` in the hypothesis and
once in the method) is run by both CLIs as fresh processes, interleaved, ``--repeat`` times
each. AWS is a moto server on loopback started here (chaosrun's safety phase calls
``sts:GetCallerIdentity``; CTK makes no AWS call). Also measured, as floors in the same run:
``python -c pass`` (the interpreter) and ``--version`` of both CLIs (import of the CLI).

Run: python -m bench.startup [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import fake_aws_env, moto_server

ROOT = Path(__file__).resolve().parent.parent
CTK_BIN = Path(__file__).parent / ".work" / "ctk-venv" / "bin"

PROBE = {
    "type": "python",
    "module": "os.path",
    "func": "exists",
    "arguments": {"path": "/"},
}

EXPERIMENT = {
    "version": "1.0.0",
    "title": "one probe",
    "description": "start-up benchmark: one python probe",
    "steady-state-hypothesis": {
        "title": "root exists",
        "probes": [{"type": "probe", "name": "root-exists", "tolerance": True, "provider": PROBE}],
    },
    "method": [{"type": "probe", "name": "root-exists-again", "provider": PROBE}],
}


def wall(cmd: list[str], env: dict[str, str], cwd: Path, expect: int = 0) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != expect:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "--chaosrun-python",
        default=sys.executable,
        help="interpreter with chaosrun installed (e.g. a venv made by `pip install .` only, as "
        "a user installs it; the default is this interpreter, with the test extras)",
    )
    args = parser.parse_args()
    if not (CTK_BIN / "chaos").exists():
        raise SystemExit(
            "missing side venv: python -m venv bench/.work/ctk-venv && "
            "bench/.work/ctk-venv/bin/pip install chaostoolkit-aws chaostoolkit"
        )
    with moto_server() as moto, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        exp = tmp / "exp.json"
        exp.write_text(json.dumps(EXPERIMENT), encoding="utf-8")
        env = {
            **os.environ,
            **fake_aws_env(),
            "AWS_ENDPOINT_URL": moto,
            "PYTHONPATH": str(ROOT),
            "CHAOSRUN_HOME": str(tmp / "home"),
            "HOME": str(tmp),  # CTK reads ~/.chaostoolkit/settings.yaml
        }
        py = args.chaosrun_python
        commands: dict[str, list[str]] = {
            "python -c pass": [py, "-c", "pass"],
            "chaosrun --version": [py, "-m", "chaosrun", "--version"],
            "chaos --version": [str(CTK_BIN / "chaos"), "--version"],
            "chaosrun run exp.json": [
                py,
                "-m",
                "chaosrun",
                "run",
                str(exp),
                "--journal",
                str(tmp / "j1.json"),
            ],
            "chaos run exp.json": [
                str(CTK_BIN / "chaos"),
                "--no-version-check",
                "run",
                str(exp),
                "--journal-path",
                str(tmp / "j2.json"),
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm the page cache and .pyc files
            wall(cmd, env, tmp)
        for _ in range(args.repeat):  # interleaved, so a load spike hits every command
            for name, cmd in commands.items():
                times[name].append(wall(cmd, env, tmp))
        held = json.loads((tmp / "j1.json").read_text())["chaosrun"]["verdict"]
        ctk_status = json.loads((tmp / "j2.json").read_text())["status"]
    print(f"repeat={args.repeat} (interleaved; medians, min, max of whole-process wall time)")
    for name, values in times.items():
        print(
            f"{name:24s}: median {statistics.median(values) * 1000:7.0f} ms  "
            f"min {min(values) * 1000:6.0f}  max {max(values) * 1000:6.0f}"
        )
    ours = statistics.median(times["chaosrun run exp.json"])
    ctk = statistics.median(times["chaos run exp.json"])
    print(f"chaosrun verdict: {held}; chaos status: {ctk_status}")
    print(f"ratio chaosrun run / chaos run : {ours / ctk:5.2f}x  (goal <= 1.0x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
