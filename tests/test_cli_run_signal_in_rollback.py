"""``chaosrun run`` on a batch whose first experiment gets SIGTERM while its rollback runs: the
rollback completes, no further experiment starts and the exit code is 3. Restore and rollbacks
used to swallow even the first signal, so the batch went on and exited 0. Real subprocesses and
real signals; python activities only (no AWS at all)."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_cli_run_batch_signals import _started, signalled

from chaosrun.engine.signals import SignalGuard

STEPS = """
import time
def log(path, line, sleep=0):
    with open(path, "a") as fh:
        fh.write(line + "\\n")
    time.sleep(sleep)
    return line
"""


def _log(started: Path, line: str, sleep: float = 0) -> dict[str, Any]:
    arguments = {"path": str(started), "line": line, "sleep": sleep}
    return {"type": "python", "module": "steps", "func": "log", "arguments": arguments}


def _batch(tmp_path: Path, deviate: bool) -> tuple[Path, Path]:
    """Three experiments that log their start; the first has a 5 s rollback and, with
    ``deviate``, a hypothesis that does not hold (its method is skipped)."""
    (tmp_path / "steps.py").write_text(STEPS)
    started = tmp_path / "started.log"
    batch = tmp_path / "batch"
    batch.mkdir()
    for n in (1, 2, 3):
        exp: dict[str, Any] = {
            "title": f"batch {n}",
            "description": "d",
            "method": [{"type": "action", "name": "start", "provider": _log(started, f"e{n}")}],
        }
        if n == 1:
            rollback = _log(started, "rollback 1", sleep=5)
            exp["rollbacks"] = [{"type": "action", "name": "rb", "provider": rollback}]
        if n == 1 and deviate:
            check = _log(started, "check")
            exp["steady-state-hypothesis"] = {
                "title": "h",
                "probes": [{"type": "probe", "name": "p", "provider": check, "tolerance": "no"}],
            }
        (batch / f"e{n}.yaml").write_text(yaml.safe_dump(exp))
    return batch, started


def _in_rollback(started: Path) -> Callable[[], bool]:
    return lambda: "rollback 1" in _started(started)


def _journal(tmp_path: Path) -> dict[str, Any]:
    (journal_file,) = (tmp_path / "reports").glob("*.json")
    journal: dict[str, Any] = json.loads(journal_file.read_text())
    return journal


@pytest.mark.slow
@pytest.mark.parametrize(("deviate", "verdict"), [(False, "aborted"), (True, "deviated")])
def test_sigterm_during_a_rollback_stops_the_batch(tmp_path, deviate, verdict) -> None:
    batch, started = _batch(tmp_path, deviate)
    code, out, err = signalled(tmp_path, batch, _in_rollback(started), signal.SIGTERM)
    assert code == 3, err
    assert [line for line in _started(started) if line.startswith("e")] == (
        [] if deviate else ["e1"]
    ), err
    assert "SIGTERM received while restoring" in err
    assert "2 experiment(s) not run" in err
    assert out.count("not run") == 2  # the summary table
    journal = _journal(tmp_path)
    # the rollback was not cut short; the signal is in the journal; precedence keeps deviated
    assert journal["rollbacks"][0]["status"] == "succeeded"
    assert journal["chaosrun"]["verdict"] == verdict
    assert any("interrupted by SIGTERM" in e["message"] for e in journal["chaosrun"]["events"])


@pytest.mark.slow
def test_a_deviated_run_signalled_during_its_rollback_exits_3(tmp_path) -> None:
    """The verdict keeps the precedence (deviated, exit 1 in the journal), but the process was
    interrupted: ``chaosrun run`` exits 3, as for any batch a signal stopped."""
    batch, started = _batch(tmp_path, deviate=True)
    code, _out, err = signalled(tmp_path, batch / "e1.yaml", _in_rollback(started), signal.SIGTERM)
    assert code == 3, err
    journal = _journal(tmp_path)
    assert (journal["chaosrun"]["verdict"], journal["chaosrun"]["exit_code"]) == ("deviated", 1)


def test_the_first_signal_during_restore_is_reported_to_the_run() -> None:
    names: list[str] = []
    called = threading.Event()

    def on_signal(name: str) -> None:
        names.append(name)
        called.set()

    with SignalGuard(on_signal) as guard:
        guard.restoring = True
        os.kill(os.getpid(), signal.SIGTERM)
        assert called.wait(30)
    assert names == ["SIGTERM"]
