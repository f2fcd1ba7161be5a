"""Start-up benchmark: whole-process wall time of ``chaosrun run`` vs ``chaos run``.

The same one-probe experiment (a python probe ``os.path.exists("/")`` in the hypothesis and
once in the method) is run by both CLIs as fresh processes, interleaved, ``--repeat`` times
each. AWS is a moto server on loopback started here (chaosrun's safety phase calls
``sts:GetCallerIdentity``; CTK makes no AWS call). Also measured, as floors in the same run:
``python -c pass`` (the interpreter) and ``--version`` of both CLIs (import of the CLI).

chaosrun runs as its console script (``<venv>/bin/chaosrun``) when the interpreter given has one,
as a user runs it, and ``chaos`` as its own.

Also measured: **the budget parity leaves chaosrun's own code**. Both tools import yaml, chaoslib
and chaoslib's activity modules. Beyond those, ``chaos run`` imports requests (through chaoslib's
HTTP provider, which chaosrun loads only for an http activity) and its CLI (A), and then spends
its exit in the interpreter's final garbage collections (E: ``chaos run`` minus the same run
with ``gc.freeze()`` before exit, which chaosrun's entry point does). Any pydantic-validated CLI
pays at least pydantic's import and one model build (B). A, B and chaosrun's own loader, models
and engine (C) are timed in-process in fresh interpreters, B and C with the collector paused as
``chaosrun run`` pauses it. Parity needs C <= A - B + E (the runs' own work is ~5 ms in both).

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


#: shared by both tools, imported before the timer starts
_SHARED = "import time, yaml, chaoslib\n"

#: chaos run's own imports: chaoslib's activity modules (with requests) and its CLI
_CHAOS_OWN = _SHARED + (
    "t = time.perf_counter()\n"
    "import chaoslib.activity, chaoslib.hypothesis, chaostoolkit.__main__\n"
    "print((time.perf_counter() - t) * 1000)\n"
)

#: the least a pydantic-validated run adds: chaoslib's activity modules without requests (the
#: HTTP provider replaced by a stand-in, as chaosrun.engine.lazy_http does), pydantic's import
#: and one strict one-field model built and used; the collector paused, as chaosrun pauses it
#: for a run's start-up (chaosrun.cli.collector)
_PYDANTIC_FLOOR = _SHARED + (
    "import gc, sys, types\n"
    "gc.disable()\n"
    "t = time.perf_counter()\n"
    "import chaoslib.provider\n"
    "sys.modules['chaoslib.provider.http'] = types.ModuleType('chaoslib.provider.http')\n"
    "sys.modules['chaoslib.provider.http'].run_http_activity = None\n"
    "sys.modules['chaoslib.provider.http'].validate_http_activity = None\n"
    "import chaoslib.activity, chaoslib.hypothesis\n"
    "from pydantic import BaseModel, ConfigDict\n"
    "class M(BaseModel):\n"
    "    model_config = ConfigDict(extra='forbid', strict=True)\n"
    "    title: str\n"
    "M(title='x')\n"
    "print((time.perf_counter() - t) * 1000)\n"
)

#: chaosrun's own modules and models a one-probe run imports, on top of the floor above
_CHAOSRUN_OWN = _PYDANTIC_FLOOR.rsplit("print(", 1)[0] + (
    "t = time.perf_counter()\n"
    "import chaosrun.experiment.loader, chaosrun.journal.model, chaosrun.engine\n"
    "print((time.perf_counter() - t) * 1000)\n"
)


#: ``chaos run`` with the interpreter's exit collections skipped, as chaosrun's entry point does
_CHAOS_FROZEN_AT_EXIT = (
    "import gc, sys\n"
    "from chaostoolkit.__main__ import cli\n"
    "try:\n"
    "    cli()\n"
    "finally:\n"
    "    gc.freeze()\n"
)


def in_process_ms(python: str, code: str, env: dict[str, str], cwd: Path) -> float:
    """Milliseconds the snippet prints (its own timer, in a fresh interpreter)."""
    proc = subprocess.run([python, "-c", code], env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{python} -c ... exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return float(proc.stdout.strip())


def chaosrun_command(python: str) -> list[str]:
    """The console script next to ``python`` if there is one (how users run it), else ``-m``."""
    script = Path(python).parent / "chaosrun"
    return [str(script)] if script.exists() else [python, "-m", "chaosrun"]


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
            "chaosrun --version": [*chaosrun_command(py), "--version"],
            "chaos --version": [str(CTK_BIN / "chaos"), "--version"],
            "chaosrun run exp.json": [
                *chaosrun_command(py),
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
            "chaos run, frozen at exit": [
                str(CTK_BIN / "python"),
                "-c",
                _CHAOS_FROZEN_AT_EXIT,
                "--no-version-check",
                "run",
                str(exp),
                "--journal-path",
                str(tmp / "j3.json"),
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        floors: dict[str, list[float]] = {"chaos": [], "pydantic": [], "chaosrun": []}
        for cmd in commands.values():  # warm the page cache and .pyc files
            wall(cmd, env, tmp)
        for _ in range(args.repeat):  # interleaved, so a load spike hits every command
            for name, cmd in commands.items():
                times[name].append(wall(cmd, env, tmp))
            floors["chaos"].append(in_process_ms(str(CTK_BIN / "python"), _CHAOS_OWN, env, tmp))
            floors["pydantic"].append(in_process_ms(py, _PYDANTIC_FLOOR, env, tmp))
            floors["chaosrun"].append(in_process_ms(py, _CHAOSRUN_OWN, env, tmp))
        held = json.loads((tmp / "j1.json").read_text())["chaosrun"]["verdict"]
        ctk_status = json.loads((tmp / "j2.json").read_text())["status"]
    print(f"repeat={args.repeat} (interleaved; medians, min, max of whole-process wall time)")
    for name, values in times.items():
        print(
            f"{name:26s}: median {statistics.median(values) * 1000:7.0f} ms  "
            f"min {min(values) * 1000:6.0f}  max {max(values) * 1000:6.0f}"
        )
    ours = statistics.median(times["chaosrun run exp.json"])
    ctk = statistics.median(times["chaos run exp.json"])
    print(f"chaosrun verdict: {held}; chaos status: {ctk_status}")
    print(f"ratio chaosrun run / chaos run : {ours / ctk:5.2f}x  (goal <= 1.0x)")
    own, least, ours_own = (statistics.median(floors[k]) for k in ("chaos", "pydantic", "chaosrun"))
    sweep = (ctk - statistics.median(times["chaos run, frozen at exit"])) * 1000
    print("budget for chaosrun's own code (in-process after yaml and chaoslib; medians):")
    print(f"  A  chaos run's own imports (activity modules with requests, CLI): {own:6.1f} ms")
    print(f"  E  chaos run's exit collections (whole process, see above)     : {sweep:6.1f} ms")
    print(f"  B  least with pydantic (activity modules, pydantic, 1 model)    : {least:6.1f} ms")
    print(f"  C  chaosrun's loader, models and engine, on top of B           : {ours_own:6.1f} ms")
    print(f"  parity needs C <= A - B + E = {own - least + sweep:.1f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
