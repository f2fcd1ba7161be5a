"""A game day's process stop-condition probe is killed, not abandoned: on its provider timeout
or when the day stops, no process of it survives (its ``sleep 30`` child included).

The probe is the engine test's shell, which writes its pid and its child's to a file.
"""

from __future__ import annotations

import threading
from pathlib import Path

from chaosrun.aws.clients import AwsClients
from chaosrun.gameday.plan import StopConditions
from chaosrun.gameday.stopwatch import StopWatcher, tripped
from tests.test_engine_process_kill import sleeper, survivors, wait_for_child


def conditions(provider: dict[str, object], interval: float = 5.0) -> StopConditions:
    probe = {"type": "probe", "name": "sleepy", "tolerance": 0, "provider": provider}
    return StopConditions(interval=interval, probes=[probe])


def test_provider_timeout_kills_the_probe_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    reason = tripped(conditions(sleeper(pidfile, timeout=1)), AwsClients())
    assert survivors(pidfile) == []
    assert reason is not None and "took too long to complete" in reason  # fail-safe: trips


def test_stopping_the_watcher_kills_a_running_probe(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    trips: list[str] = []
    watcher = StopWatcher(conditions(sleeper(pidfile), interval=0.05), AwsClients(), trips.append)
    watcher.start()
    wait_for_child(pidfile)
    watcher.stop()
    assert survivors(pidfile) == []
    assert not watcher._thread.is_alive()
    assert trips == [] and watcher.reason is None  # the killed probe did not trip the day


def test_a_probe_starting_after_stop_never_runs(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    watcher = StopWatcher(conditions(sleeper(pidfile)), AwsClients(), lambda _r: None)
    watcher.stop()  # the day ends while the watcher thread is about to start the probe
    reason: list[str | None] = []
    thread = threading.Thread(
        target=lambda: reason.append(tripped(watcher.conditions, AwsClients(), watcher._track))
    )
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert not pidfile.exists()
    assert reason and reason[0] is not None and "cancelled" in reason[0]
