"""Process activities are killed, not abandoned: on an activity timeout, a provider timeout or a
stopping run (abort, deviation), no process of the activity outlives ``Runner.run()``.

Each activity runs ``sh -c`` behind chaoslib's own ``/bin/sh -c`` (string arguments), with a
``sleep 30`` child; the inner shell writes its pid and the child's to a file so the test can look
them up afterwards.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from chaosrun.aws.clients import AwsClients
from chaosrun.engine import Runner, RunOptions
from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.journal.model import Journal
from chaosrun.ledger import Ledger


def sleeper(pidfile: Path, **extra: Any) -> dict[str, Any]:
    """A process provider whose shell writes its pid, starts ``sleep 30`` and waits for it."""
    script = f"echo $$ > {pidfile}; sleep 30 & echo $! >> {pidfile}; wait"
    return {"type": "process", "path": "sh", "arguments": f"-c '{script}'", **extra}


def action(provider: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "action", "name": "sleepy", "provider": provider, **extra}


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie has exited: it only waits to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def survivors(pidfile: Path) -> list[int]:
    pids = [int(line) for line in pidfile.read_text().split()]
    assert len(pids) == 2, "the shell did not start its child"
    return [pid for pid in pids if alive(pid)]


def wait_for_child(pidfile: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pidfile.exists() and len(pidfile.read_text().split()) == 2:
            return
        time.sleep(0.02)
    raise AssertionError("the process activity never started its child")


def runner(experiment: dict[str, Any], tmp_path: Path, **settings: Any) -> Runner:
    return Runner(
        {"title": "t", "description": "d", **experiment},
        ChaosrunSettings.model_validate(settings),
        clients=AwsClients(),
        ledger=Ledger(tmp_path / "ledger"),
        options=RunOptions(handle_signals=False),
    )


def run_in_thread(r: Runner) -> tuple[threading.Thread, dict[str, Journal]]:
    result: dict[str, Journal] = {}
    thread = threading.Thread(target=lambda: result.update(journal=r.run()))
    thread.start()
    return thread, result


@pytest.fixture
def pidfile(tmp_path: Path) -> Path:
    return tmp_path / "pids"


def test_activity_timeout_kills_the_process_group(tmp_path: Path, pidfile: Path) -> None:
    journal = runner({"method": [action(sleeper(pidfile), timeout=1)]}, tmp_path).run()
    assert survivors(pidfile) == []
    [run] = journal.run
    assert run.status == "timeout"
    assert "killed" in run.exception[-1]
    assert journal.chaosrun.exit_code == 3


def test_provider_timeout_kills_the_process_group(tmp_path: Path, pidfile: Path) -> None:
    journal = runner({"method": [action(sleeper(pidfile, timeout=1))]}, tmp_path).run()
    assert survivors(pidfile) == []
    [run] = journal.run
    assert run.status == "failed"
    assert "took too long to complete" in run.exception[-1]


def test_aborted_run_kills_the_process_group(tmp_path: Path, pidfile: Path) -> None:
    r = runner({"method": [action(sleeper(pidfile))]}, tmp_path)
    thread, result = run_in_thread(r)
    wait_for_child(pidfile)
    r.abort("operator said stop")
    thread.join(30)
    assert not thread.is_alive()
    assert survivors(pidfile) == []
    [run] = result["journal"].run
    assert run.status == "cancelled"
    assert "killed" in run.exception[-1]


def test_deviation_kills_a_background_process(tmp_path: Path, pidfile: Path) -> None:
    # the hypothesis holds until the action's shell has written both pids
    script = f"[ ! -e {pidfile} ] || [ $(wc -l < {pidfile}) -lt 2 ]"
    probe = {
        "type": "probe",
        "name": "child-not-started",
        "tolerance": 0,
        "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]},
    }
    experiment = {
        "steady-state-hypothesis": {"title": "h", "probes": [probe]},
        "method": [action(sleeper(pidfile), background=True)],
    }
    r = runner(experiment, tmp_path, monitoring={"interval": 0.05})
    thread, result = run_in_thread(r)
    thread.join(30)
    assert not thread.is_alive()
    journal = result["journal"]
    assert journal.deviated
    assert survivors(pidfile) == []
    [run] = journal.run
    assert run.status == "cancelled" and "killed" in run.exception[-1]


def test_sigterm_ignored_means_sigkill_after_the_grace(tmp_path: Path, pidfile: Path) -> None:
    script = f"trap '' TERM; echo $$ > {pidfile}; sleep 30 & echo $! >> {pidfile}; wait"
    provider = {"type": "process", "path": "sh", "arguments": ["-c", script]}
    journal = runner({"method": [action(provider, timeout=0.5)]}, tmp_path).run()
    assert survivors(pidfile) == []
    [run] = journal.run
    assert "SIGKILL" in run.exception[-1]
