"""Game days against the sandbox: catalogue experiments in order, approval gates, notes taken
from another thread, and a CloudWatch alarm stop condition that the sandbox really evaluates."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import boto3
import pytest
import yaml
from catalogue_support import EXPERIMENTS, app_sandbox
from rich.console import Console

from chaosrun.gameday.notes import add_note
from chaosrun.gameday.plan import load_plan
from chaosrun.gameday.run import GameDay
from chaosrun.journal.model import Verdict
from chaosrun.ledger import Ledger

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(240)]

GUARD = "chaosrun-gameday-guard"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch):
    with app_sandbox() as sb:
        for key, value in sb.env().items():
            monkeypatch.setenv(key, value)
        cw = boto3.client("cloudwatch", region_name="us-east-1")
        cw.put_metric_alarm(
            AlarmName=GUARD,
            Namespace="GameDay",
            MetricName="Panic",
            Statistic="Maximum",
            Period=10,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
        )
        yield sb


def _day(tmp_path: Path, steps: list[dict], **extra: object) -> GameDay:
    plan = {
        "title": "Orders game day",
        "purpose": "Rehearse losing create-order while the secondary keeps serving reads",
        "owner": "alice@example.com",
        "coordinator": "bob@example.com",
        "observers": ["carol@example.com"],
        "environment": {"sandbox": True, "regions": ["us-east-1", "eu-west-1"]},
        "stop_conditions": {"interval": 0.5, "alarms": [{"name": GUARD, "region": "us-east-1"}]},
        "experiments": steps,
        **extra,
    }
    path = tmp_path / "gameday.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    console = Console(file=io.StringIO(), record=True, width=120)
    return GameDay(
        load_plan(path),
        tmp_path / "reports",
        console=console,
        ask=lambda question: True,
        ledger=Ledger(tmp_path / "ledger"),
        handle_signals=False,
    )


def _concurrency(name: str, region: str) -> int | None:
    lam = boto3.client("lambda", region_name=region)
    return lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")


def test_a_game_day_on_the_sandbox(sandbox, tmp_path: Path) -> None:
    day = _day(
        tmp_path,
        [
            {
                "experiment": str(EXPERIMENTS / "lambda-throttle-secondary-get-order.yaml"),
                "approval": True,
            },
            {
                "experiment": str(EXPERIMENTS / "lambda-throttle-create-order.yaml"),
                "pause_before": 0.5,
            },
        ],
    )

    def observer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not day.day_dir.exists():
            time.sleep(0.05)
        add_note("todo: alarm on POST /orders 429s", author="carol")

    threading.Thread(target=observer, daemon=True).start()
    record = day.run()
    assert record.status == "completed", record.halt_reason
    assert [s.verdict for s in record.steps] == [Verdict.HELD, Verdict.DEVIATED]
    assert "alarm on POST /orders 429s" in record.action_items
    assert _concurrency("orders-create-order", "us-east-1") is None
    assert _concurrency("orders-get-order", "eu-west-1") is None
    html = (day.day_dir / "index.html").read_text()
    assert "Orders game day" in html and "carol" in html
    assert (day.day_dir / "gameday.md").read_text().count("| deviated |") == 1


def test_an_alarm_in_alarm_halts_the_day_and_everything_is_restored(
    sandbox, tmp_path: Path
) -> None:
    slow = tmp_path / "slow.yaml"
    slow.write_text(
        yaml.safe_dump(
            {
                "title": "throttle get-order for a while",
                "method": [
                    {
                        "type": "action",
                        "name": "throttle get-order",
                        "provider": {
                            "type": "python",
                            "module": "chaosrun.faults.awslambda",
                            "func": "throttle",
                            "arguments": {"names": ["orders-get-order"]},
                        },
                        "pauses": {"after": 120},
                    }
                ],
            }
        )
    )
    day = _day(tmp_path, [{"experiment": str(slow)}, {"experiment": str(slow)}])

    def panic_once_faulted() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _concurrency("orders-get-order", "us-east-1") == 0:
                boto3.client("cloudwatch", region_name="us-east-1").put_metric_data(
                    Namespace="GameDay", MetricData=[{"MetricName": "Panic", "Value": 5}]
                )
                return
            time.sleep(0.1)

    threading.Thread(target=panic_once_faulted, daemon=True).start()
    record = day.run()
    assert record.status == "halted" and GUARD in record.halt_reason
    assert record.steps[0].verdict is Verdict.ABORTED
    assert record.steps[1].status == "halted"
    assert _concurrency("orders-get-order", "us-east-1") is None
