"""chaosrun's process provider gives what chaoslib's gives (tolerances read the same output):
path lookup, string/list/dict arguments, substitution, environment, exit status and streams."""

from __future__ import annotations

from typing import Any

import pytest
from chaoslib.exceptions import ActivityFailed
from chaoslib.provider.process import run_process_activity

from chaosrun.engine.process_provider import ProcessRun

CONFIGURATION = {"greeting": "hello"}


def activity(path: str, arguments: Any = None, **extra: Any) -> dict[str, Any]:
    provider: dict[str, Any] = {"type": "process", "path": path, **extra}
    if arguments is not None:
        provider["arguments"] = arguments
    return {"type": "probe", "name": "p", "tolerance": 0, "provider": provider}


@pytest.mark.parametrize(
    "case",
    [
        activity("echo"),
        activity("echo", "${greeting} world"),
        activity("echo", ["${greeting}", "", None, 3]),
        activity("echo", {"-n": "${greeting}", "--x": ""}),
        activity("sh", ["-c", "echo out; echo err >&2; exit 4"]),
        activity("sh", "-c 'echo $CHAOSRUN_PROCESS_TEST'"),
    ],
    ids=["no-arguments", "string", "list", "dict", "status-and-streams", "environment"],
)
def test_output_matches_chaoslib(case: dict[str, Any], monkeypatch) -> None:
    monkeypatch.setenv("CHAOSRUN_PROCESS_TEST", "from the environment")
    ours = ProcessRun(case, CONFIGURATION, {}).run()
    assert ours == run_process_activity(case, CONFIGURATION, {})


def test_missing_path_says_what_to_fix() -> None:
    with pytest.raises(ActivityFailed, match="not an executable on PATH"):
        ProcessRun(activity("no-such-program-here"), {}, {}).run()


def test_cancelled_before_start_never_starts() -> None:
    run = ProcessRun(activity("sh", ["-c", "exit 0"]), {}, {})
    assert run.kill() is None
    with pytest.raises(ActivityFailed, match="not started"):
        run.run()
