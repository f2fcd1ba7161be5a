"""CloudWatch alarms evaluated over moto's metrics, visible through DescribeAlarms/History."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.alarms import Alarms, aggregate, evaluate
from tests.sandbox_helpers import eventually

pytestmark = pytest.mark.sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(time_scale=0.01, deploy_app=False, components=[Alarms]) as sandbox:
        yield sandbox


def cw(sb: Sandbox) -> Any:
    return sb.context.clients.client("cloudwatch", "us-east-1")


def state(sb: Sandbox, name: str) -> str:
    return str(cw(sb).describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"])


DIMS = [{"Name": "FunctionName", "Value": "create-order"}]


def put_alarm(sb: Sandbox, name: str, **extra: Any) -> None:
    args = {
        "AlarmName": name,
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": DIMS,
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        **extra,
    }
    cw(sb).put_metric_alarm(**args)


def test_alarm_fires_on_breaching_data_and_recovers(sb: Sandbox) -> None:
    put_alarm(sb, "errors")
    eventually(lambda: state(sb, "errors") == "OK", "OK without data (notBreaching)")
    cw(sb).put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[{"MetricName": "Errors", "Value": 5, "Dimensions": DIMS}],
    )
    eventually(lambda: state(sb, "errors") == "ALARM", "ALARM on breaching data")
    alarm = cw(sb).describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [5.0")
    assert "greater than or equal to the threshold (1.0)" in alarm["StateReason"]
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [5.0]
    # the datapoint leaves the (scaled) period: back to OK
    eventually(lambda: state(sb, "errors") == "OK", "back to OK")
    history = cw(sb).describe_alarm_history(AlarmName="errors", HistoryItemType="StateUpdate")
    summaries = [h["HistorySummary"] for h in history["AlarmHistoryItems"]]
    assert "Alarm updated from OK to ALARM" in summaries
    assert summaries[0] == "Alarm updated from ALARM to OK"


def test_missing_data_is_insufficient_by_default(sb: Sandbox) -> None:
    put_alarm(sb, "latency", TreatMissingData="missing", MetricName="Duration")
    eventually(lambda: state(sb, "latency") == "INSUFFICIENT_DATA", "INSUFFICIENT_DATA")
    put_alarm(sb, "breach", TreatMissingData="breaching", MetricName="Throttles")
    eventually(lambda: state(sb, "breach") == "ALARM", "missing treated as breaching")


def test_datapoints_to_alarm_and_percentiles() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0)

    def datum(seconds_ago: float, value: float) -> Any:
        return SimpleNamespace(
            namespace="N",
            name="M",
            dimensions=[],
            unit=None,
            value=value,
            timestamp=now - timedelta(seconds=seconds_ago),
        )

    alarm = SimpleNamespace(
        metric_data_queries=[],
        comparison_operator="GreaterThanThreshold",
        threshold=100.0,
        extended_statistic="p90",
        statistic=None,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        treat_missing_data="missing",
        namespace="N",
        metric_name="M",
        dimensions=[],
        unit=None,
        period=60,
    )
    # periods (newest first): [200 x10], [10 x10], missing -> 1 of 3 breaching: OK
    data = [datum(1 + i, 200) for i in range(10)] + [datum(61 + i, 10) for i in range(10)]
    outcome = evaluate(alarm, data, now, 60.0)
    assert outcome is not None and outcome[0] == "OK"
    data += [datum(121, 500)]
    outcome = evaluate(alarm, data, now, 60.0)
    assert outcome is not None and outcome[0] == "ALARM"
    assert "2 out of the last 3 datapoints" in outcome[1]
    assert aggregate([datum(0, v) for v in range(1, 101)], "p99") == 99
    assert aggregate([datum(0, 2), datum(0, 4)], "Average") == 3
    assert aggregate([], "Sum") is None


def test_component_counts_evaluations(sb: Sandbox) -> None:
    alarms = sb.context.component("alarms")
    assert isinstance(alarms, Alarms)
    assert alarms.wait_evaluations(2)
