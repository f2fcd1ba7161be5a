"""A process whose run() has returned is never signalled again: its leader was reaped, so its
pid (the process group id) may since lead an unrelated group, and killing "it" would kill that.

The reuse itself cannot be staged, so ``_group_alive`` is made to answer yes (a new group under
the old id) and ``os.killpg`` is recorded instead of sent.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from chaosrun.aws.clients import AwsClients
from chaosrun.engine import process_provider
from chaosrun.engine.process_provider import Kill, ProcessKilled, ProcessRun
from chaosrun.gameday.plan import StopConditions
from chaosrun.gameday.stopwatch import StopWatcher, tripped

QUICK = {"type": "process", "path": "true"}


@pytest.fixture
def reused(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every pgid looks alive (reused); killpg calls are recorded, not sent."""
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(process_provider, "_group_alive", lambda pgid: True)
    monkeypatch.setattr(os, "killpg", lambda pgid, sig: sent.append((pgid, sig)))
    return sent


def probe(provider: dict[str, Any]) -> dict[str, Any]:
    return {"type": "probe", "name": "p", "tolerance": 0, "provider": provider}


def test_kill_after_run_returned_sends_no_signal(reused: list[tuple[int, int]]) -> None:
    process = ProcessRun(probe(QUICK), {}, {})
    assert process.run()["status"] == 0
    assert process.kill(grace=0.05) is None
    assert reused == []


def test_run_does_not_return_while_a_kill_is_under_way(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A kill racing the end of run() either finishes before run() returns or does nothing."""
    killing, release = threading.Event(), threading.Event()
    real_kill_group = process_provider.kill_group

    def slow_kill_group(proc: Any, grace: float = 2.0) -> Kill:
        killed = real_kill_group(proc, grace)
        killing.set()
        release.wait(10)
        return killed

    monkeypatch.setattr(process_provider, "kill_group", slow_kill_group)
    process = ProcessRun(probe({"type": "process", "path": "sleep", "arguments": ["30"]}), {}, {})
    returned = threading.Event()
    runner = threading.Thread(target=lambda: (_run_quietly(process), returned.set()))
    runner.start()
    while process._proc is None:
        threading.Event().wait(0.01)
    killer = threading.Thread(target=process.kill)
    killer.start()
    assert killing.wait(10)
    assert not returned.wait(0.3)  # the group is gone, but run() waits for the kill to finish
    release.set()
    killer.join(10)
    assert returned.wait(10)
    runner.join(10)


def _run_quietly(process: ProcessRun) -> None:
    with contextlib.suppress(ProcessKilled):  # the point here is when run() returns
        process.run()


def test_stopwatch_forgets_a_finished_probe(reused: list[tuple[int, int]]) -> None:
    conditions = StopConditions(interval=5.0, probes=[probe(QUICK)])
    watcher = StopWatcher(conditions, AwsClients(), lambda _r: None)
    assert tripped(conditions, AwsClients(), watcher._track) is None
    assert watcher._process is None
    watcher.stop()  # the day ends long after the probe did: nothing to kill
    assert reused == []
