"""``chaosrun run`` on a batch stopped by SIGTERM/SIGINT: the experiment running is stopped and
restored, no further experiment starts, the rest are reported as not run, exit 3. Real
subprocesses and real signals; the experiments are python activities (no AWS at all)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

STEPS = """
def log(path, line):
    with open(path, "a") as fh:
        fh.write(line + "\\n")
    return line
"""

#: a batch run whose first write of outputs sends this process a real SIGTERM: the signal lands
#: between two experiments, where no engine handler is installed
BETWEEN = """
import os, signal, sys
from chaosrun.cli import cmd_run
from chaosrun.cli.main import main
write = cmd_run.write_outputs
def write_then_signal(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    return write(*args, **kwargs)
cmd_run.write_outputs = write_then_signal
sys.exit(main(sys.argv[1:]))
"""


def _batch(tmp_path: Path, pause: float) -> tuple[Path, Path]:
    """Three experiments that each log their start; the first then pauses ``pause`` s."""
    (tmp_path / "steps.py").write_text(STEPS)
    started = tmp_path / "started.log"
    batch = tmp_path / "batch"
    batch.mkdir()
    for n in (1, 2, 3):
        action = {
            "type": "action",
            "name": f"start-{n}",
            "provider": {
                "type": "python",
                "module": "steps",
                "func": "log",
                "arguments": {"path": str(started), "line": f"experiment {n}"},
            },
            "pauses": {"after": pause if n == 1 else 0},
        }
        exp = {"title": f"batch {n}", "description": "d", "method": [action]}
        (batch / f"e{n}.yaml").write_text(yaml.safe_dump(exp))
    return batch, started


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]),
        CHAOSRUN_HOME=str(tmp_path / "home"),
        AWS_ENDPOINT_URL="http://127.0.0.1:9",  # never real AWS (none is called anyway)
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


def _started(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def signalled(
    tmp_path: Path, target: Path, ready: Callable[[], bool], sig: signal.Signals
) -> tuple[int, str, str]:
    """``chaosrun run target --reports-dir reports``, sent ``sig`` once ``ready()``: exit code,
    stdout and stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaosrun", "run", str(target), "--reports-dir", "reports"],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(600):  # poll; the bound only keeps a broken run from hanging
        if ready() or proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()  # no-op once it has exited
    return proc.returncode, out, err


def _check_stopped_batch(tmp_path: Path, started: Path, err: str, reason: str) -> None:
    assert _started(started) == ["experiment 1"], err
    assert f"{reason}: 2 experiment(s) not run" in err
    reports = tmp_path / "reports"
    summary = (reports / "summary.md").read_text()
    assert f"### Not run ({reason})" in summary
    assert "- `" in summary and "e2.yaml`" in summary and "e3.yaml`" in summary
    junit = (reports / "junit.xml").read_text()
    assert 'skipped="2"' in junit.split("\n")[1]  # the root's count
    assert f'message="not run: {reason}"' in junit


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_a_batch_starts_no_further_experiment(tmp_path, sig) -> None:
    batch, started = _batch(tmp_path, pause=600)
    code, out, err = signalled(tmp_path, batch, lambda: bool(_started(started)), sig)
    assert code == 3, err
    _check_stopped_batch(tmp_path, started, err, f"interrupted by {sig.name}")
    assert "aborted" in out and out.count("not run") == 2  # the summary table


@pytest.mark.slow
def test_signal_between_experiments_starts_no_further_experiment(tmp_path) -> None:
    batch, started = _batch(tmp_path, pause=0)
    proc = subprocess.run(
        [sys.executable, "-c", BETWEEN, "run", str(batch), "--reports-dir", "reports"],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    _check_stopped_batch(tmp_path, started, proc.stderr, "interrupted by SIGTERM")
    assert "held" in proc.stdout  # the first experiment itself finished before the signal
