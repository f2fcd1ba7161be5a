"""cloudwatch.metric_statistic and cloudwatch.alarm_state against mock_aws."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import InvalidParameters
from chaosrun.probes.base import run_probe
from chaosrun.probes.cloudwatch_alarm import AlarmState
from chaosrun.probes.cloudwatch_metric import MetricStatistic, combine


@mock_aws
def test_metric_statistic_over_a_window() -> None:
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    now = datetime.now(UTC)
    for i, v in enumerate((1.0, 4.0, 7.0)):
        cw.put_metric_data(
            Namespace="App",
            MetricData=[
                {
                    "MetricName": "Errors",
                    "Dimensions": [{"Name": "Fn", "Value": "orders"}],
                    "Timestamp": now - timedelta(seconds=30 + i),
                    "Value": v,
                }
            ],
        )
    base = {"namespace": "App", "metric_name": "Errors", "dimensions": {"Fn": "orders"}}
    total = run_probe(MetricStatistic, {**base, "statistic": "Sum"}, AwsClients())
    assert total.value == 12.0 and total.datapoints
    peak = run_probe(MetricStatistic, {**base, "statistic": "Maximum"}, AwsClients())
    assert peak.value == 7.0
    none = run_probe(MetricStatistic, {**base, "metric_name": "Other", "default": 0}, AwsClients())
    assert none.value == 0 and none.datapoints == []
    with pytest.raises(InvalidParameters, match="statistic"):
        run_probe(MetricStatistic, {**base, "statistic": "Median"}, AwsClients())


def test_combine_weights_averages_and_takes_worst_percentile() -> None:
    points = [
        {"Average": 10.0, "SampleCount": 1.0, "ExtendedStatistics": {"p99": 50.0}},
        {"Average": 20.0, "SampleCount": 3.0, "ExtendedStatistics": {"p99": 80.0}},
    ]
    assert combine("Average", points) == 17.5
    assert combine("p99", points) == 80.0
    assert combine("Sum", []) is None


@mock_aws
def test_alarm_state_worst_first() -> None:
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    for name in ("api-5xx", "api-latency"):
        cw.put_metric_alarm(
            AlarmName=name,
            MetricName="M",
            Namespace="App",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="fine")
    ok = run_probe(AlarmState, {"alarm_name_prefix": "api-"}, AwsClients())
    assert ok.state == "OK" and ok.all_ok and ok.in_alarm == []
    cw.set_alarm_state(AlarmName="api-5xx", StateValue="ALARM", StateReason="5xx > 1")
    bad = run_probe(AlarmState, {"alarm_names": ["api-5xx", "api-latency", "gone"]}, AwsClients())
    assert bad.state == "ALARM" and bad.in_alarm == ["api-5xx"] and not bad.all_ok
    assert bad.missing == ["gone"]
    assert {a.name: a.reason for a in bad.alarms}["api-5xx"] == "5xx > 1"
