"""Game days end to end against moto: gates, notes, stop conditions, interruption, report."""

from __future__ import annotations

import io
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
import yaml
from lambda_fixtures import REGION, execution_role, make_function
from moto import mock_aws
from rich.console import Console

from chaosrun.errors import ExperimentInvalid, InvalidInput
from chaosrun.gameday.live import ProbeLine, Snapshot, render
from chaosrun.gameday.plan import load_plan
from chaosrun.gameday.run import GameDay
from chaosrun.journal.model import Verdict
from chaosrun.ledger import Ledger

FN = "create-order"


def _probe(name: str, func: str, arguments: dict, tolerance: object = True) -> dict:
    return {
        "type": "probe",
        "name": name,
        "tolerance": tolerance,
        "provider": {
            "type": "python",
            "module": "gameday_support",
            "func": func,
            "arguments": arguments,
        },
    }


def _experiment(title: str, probes: list[dict], pause: float = 0) -> dict:
    action = {
        "type": "action",
        "name": "throttle",
        "provider": {
            "type": "python",
            "module": "chaosrun.faults.awslambda",
            "func": "throttle",
            "arguments": {"names": [FN], "reserved_concurrency": 0},
        },
    }
    if pause:
        action["pauses"] = {"after": pause}
    return {
        "title": title,
        "description": "test",
        "steady-state-hypothesis": {"title": "h", "probes": probes},
        "method": [action],
    }


def _write(tmp: Path, name: str, data: dict) -> str:
    (tmp / name).write_text(yaml.safe_dump(data, sort_keys=False))
    return name


@pytest.fixture
def aws():
    with mock_aws():
        make_function(FN, execution_role("r"))
        lam = boto3.client("lambda", region_name=REGION)
        lam.put_function_concurrency(FunctionName=FN, ReservedConcurrentExecutions=25)
        yield lam


def _plan(tmp: Path, steps: list[dict], **extra: object) -> Path:
    plan = {
        "title": "Orders game day",
        "purpose": "Rehearse losing the create-order function",
        "owner": "alice@example.com",
        "observers": ["bob@example.com"],
        "experiments": steps,
        **extra,
    }
    path = tmp / "gameday.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return path


def _day(tmp: Path, plan: Path, **kw: object) -> GameDay:
    console = Console(file=io.StringIO(), record=True, width=120, force_terminal=False)
    return GameDay(
        load_plan(plan),
        tmp / "reports",
        console=console,
        ledger=Ledger(tmp / "ledger"),
        handle_signals=False,
        **kw,  # type: ignore[arg-type]
    )


def test_plan_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "gameday.yaml"
    path.write_text(
        "title: t\npurpose: p\nowner: o\nexperimnets: []\nstop_conditions:\n  interval: -1\n"
    )
    with pytest.raises(ExperimentInvalid) as err:
        load_plan(path)
    text = str(err.value)
    assert f"{path}:4: experimnets" in text and "experiments" in text
    assert f"{path}:6: stop_conditions.interval" in text


def test_plan_with_missing_experiment_file(tmp_path: Path) -> None:
    path = _plan(tmp_path, [{"experiment": "nope.yaml"}])
    with pytest.raises(ExperimentInvalid, match=r"gameday.yaml:\d+: experiments\[0\]\.experiment"):
        load_plan(path)


def test_a_day_runs_gates_notes_findings_and_report(aws, tmp_path: Path) -> None:
    held = _write(
        tmp_path,
        "held.yaml",
        _experiment("survives", [_probe("noted", "noting", {"text": "action: add a DLQ"})]),
    )
    deviates = _write(
        tmp_path,
        "deviates.yaml",
        _experiment(
            "does not survive",
            [_probe("concurrency is 25", "concurrency_is", {"function": FN, "expected": 25})],
        ),
    )
    plan = _plan(tmp_path, [{"experiment": held, "approval": True}, {"experiment": deviates}])
    asked: list[str] = []
    day = _day(tmp_path, plan, ask=lambda q: asked.append(q) or True)
    record = day.run()
    assert len(asked) == 1 and "survives" in asked[0]
    assert [s.status for s in record.steps] == ["ran", "ran"]
    assert record.steps[0].verdict is Verdict.HELD
    assert record.steps[1].verdict is Verdict.DEVIATED  # probe after: concurrency was 0
    assert aws.get_function_concurrency(FunctionName=FN)["ReservedConcurrentExecutions"] == 25
    assert any(n.text == "action: add a DLQ" for n in record.notes)
    assert "add a DLQ" in record.action_items
    assert [f.experiment for f in record.findings] == ["does not survive"]
    html = (day.day_dir / "index.html").read_text()
    assert "Orders game day" in html and "add a DLQ" in html and "deviated" in html
    assert "http://" not in html and "https://" not in html
    md = (day.day_dir / "gameday.md").read_text()
    assert "| 2 | does not survive | ran | deviated |" in md
    assert "### Resilience score" in md and "| survives | 100.0 | 1 |" in md
    assert 'id="scores"' in html
    assert record.exit_code == 1
    live = day.console.export_text()  # type: ignore[attr-defined]
    assert "experiment 2/2" in live


def test_not_approved_step_is_skipped(aws, tmp_path: Path) -> None:
    exp = _write(tmp_path, "e.yaml", _experiment("e", [_probe("ok", "noting", {"text": "x"})]))
    day = _day(
        tmp_path, _plan(tmp_path, [{"experiment": exp, "approval": True}]), ask=lambda q: False
    )
    record = day.run()
    assert record.steps[0].status == "not-approved"
    assert aws.get_function_concurrency(FunctionName=FN)["ReservedConcurrentExecutions"] == 25


def test_approval_without_a_terminal_needs_yes(aws, tmp_path: Path, monkeypatch) -> None:
    exp = _write(tmp_path, "e.yaml", _experiment("e", [_probe("ok", "noting", {"text": "x"})]))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    day = _day(tmp_path, _plan(tmp_path, [{"experiment": exp, "approval": True}]))
    with pytest.raises(InvalidInput, match="--yes"):
        day.run()


def test_stop_condition_halts_the_day_and_restores(aws, tmp_path: Path) -> None:
    slow = _write(
        tmp_path,
        "slow.yaml",
        _experiment("slow", [_probe("ok", "noting", {"text": "x"})], pause=60),
    )
    plan = _plan(
        tmp_path,
        [{"experiment": slow}, {"experiment": slow}],
        stop_conditions={"interval": 0.2, "probes": [_probe("guard", "fails", {})]},
    )
    record = _day(tmp_path, plan).run()
    assert record.status == "halted" and "guard" in record.halt_reason
    assert record.steps[0].verdict is Verdict.ABORTED
    assert record.steps[1].status == "halted"
    assert aws.get_function_concurrency(FunctionName=FN)["ReservedConcurrentExecutions"] == 25


def test_ctrl_c_restores_and_ends_the_day(aws, tmp_path: Path) -> None:
    slow = _write(
        tmp_path, "slow.yaml", _experiment("slow", [_probe("ok", "noting", {"text": "x"})], 60)
    )
    day = _day(tmp_path, _plan(tmp_path, [{"experiment": slow}, {"experiment": slow}]))

    def press_ctrl_c_once_faulted() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            runner = day._runner
            if runner and any(t.injected_at for r in runner.ctx.records for t in r.targets):
                day._on_signal("SIGINT")
                return
            time.sleep(0.05)

    threading.Thread(target=press_ctrl_c_once_faulted, daemon=True).start()
    record = day.run()
    assert record.status == "interrupted"
    assert record.exit_code == 3
    assert [s.status for s in record.steps] == ["ran", "halted"]
    assert aws.get_function_concurrency(FunctionName=FN)["ReservedConcurrentExecutions"] == 25


def test_live_view_shows_probes_faults_and_progress() -> None:
    now = datetime(2026, 12, 1, 10, 0, 30, tzinfo=UTC)
    snap = Snapshot(
        title="Orders game day",
        step=1,
        steps=3,
        experiment="throttle create-order",
        phase="method",
        started=datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC),
        day_started=datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC),
        probes=[
            ProbeLine(name="api availability", value="0.42", tolerance="[0.99, 1]", ok=False),
            ProbeLine(name="p99 latency", value="180", tolerance="< 500", ok=True),
        ],
        faults=["throttle on lambda:function create-order (us-east-1)"],
        pause=("pause after", 10, 60),
    )
    console = Console(record=True, width=140, file=io.StringIO())
    console.print(render(snap, now=now))
    text = console.export_text()
    assert "experiment 1/3" in text and "phase: method" in text
    assert "api availability" in text and "DEVIATED" in text and "OK" in text
    assert "create-order (us-east-1)" in text
    assert "elapsed 0:00:30 (day 1:00:30)" in text
    assert "pause after: 10/60 s" in text
