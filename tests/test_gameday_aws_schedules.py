"""EventBridge Scheduler schedules, against moto."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.gameday.aws_schedules import (
    AwsScheduler,
    EcsTarget,
    LambdaTarget,
    schedule_expression,
)
from chaosrun.gameday.windows import Trigger


def test_expressions() -> None:
    assert schedule_expression(Trigger(cron="0 10 * * 2")) == "cron(0 10 ? * 2 *)"
    assert schedule_expression(Trigger(cron="30 6 1 * *")) == "cron(30 6 1 * ? *)"
    assert schedule_expression(Trigger(cron="0 * * * *")) == "cron(0 * * * ? *)"
    at = Trigger(at="2026-12-01T10:00:00+00:00")
    assert schedule_expression(at) == "at(2026-12-01T10:00:00)"


@mock_aws
def test_create_list_delete() -> None:
    sched = AwsScheduler(AwsClients())
    ecs = EcsTarget(
        cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/chaos",
        task_definition_arn="arn:aws:ecs:us-east-1:123456789012:task-definition/chaosrun:1",
        role_arn="arn:aws:iam::123456789012:role/scheduler",
        subnets=["subnet-1"],
    )
    arn = sched.create(
        "weekly-gameday",
        Trigger(cron="0 10 * * 2", timezone="Europe/London"),
        ecs,
        ["chaosrun", "gameday", "run", "gameday.yaml", "--yes"],
    )
    assert arn.endswith("weekly-gameday")
    fn = LambdaTarget(
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:runner",
        role_arn="arn:aws:iam::123456789012:role/scheduler",
    )
    sched.create("smoke", Trigger(cron="0 * * * *"), fn, ["chaosrun", "run", "smoke.yaml"])
    listed = {s.name: s for s in sched.list()}
    assert set(listed) == {"weekly-gameday", "smoke"}
    assert listed["weekly-gameday"].expression == "cron(0 10 ? * 2 *)"
    assert listed["weekly-gameday"].timezone == "Europe/London"
    raw = boto3.client("scheduler", region_name="us-east-1").get_schedule(
        Name="weekly-gameday", GroupName="chaosrun"
    )
    overrides = json.loads(raw["Target"]["Input"])["containerOverrides"][0]
    assert overrides["command"][-1] == "--yes"
    sched.delete("smoke")
    assert [s.name for s in sched.list()] == ["weekly-gameday"]
