"""Schedules that live in AWS: EventBridge Scheduler starting the runner in the account.

Target chosen: an **ECS Fargate task** (EventBridge Scheduler's templated ECS RunTask target)
whose container runs ``chaosrun``: a game day or experiment can outlast Lambda's 15-minute limit,
and a task has no such cap. The container command is passed as a container override, so one task
definition (an image with chaosrun and the experiment files) serves every schedule. A Lambda
target is also accepted for short experiments (the function receives ``{"command": [...]}``).

Schedules are created in the ``chaosrun`` schedule group and tagged ``managed-by=chaosrun`` so
``list``/``delete`` only ever touch ours.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chaosrun.aws.clients import AwsClients
from chaosrun.gameday.windows import Trigger

GROUP = "chaosrun"


class EcsTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["ecs"] = "ecs"
    cluster_arn: str
    task_definition_arn: str
    role_arn: str = Field(description="role EventBridge Scheduler assumes to run the task")
    subnets: list[str]
    security_groups: list[str] = Field(default_factory=list)
    container_name: str = "chaosrun"
    assign_public_ip: bool = False


class LambdaTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["lambda"] = "lambda"
    function_arn: str
    role_arn: str


class AwsSchedule(BaseModel):
    name: str
    expression: str
    timezone: str
    target_arn: str
    state: str


def schedule_expression(trigger: Trigger) -> str:
    """EventBridge Scheduler syntax: ``cron(m h dom mon dow year)`` or ``at(...)``."""
    if trigger.at is not None:
        return f"at({trigger.at.strftime('%Y-%m-%dT%H:%M:%S')})"
    minute, hour, dom, month, dow = (trigger.cron or "").split()
    # AWS cron needs '?' in one of day-of-month / day-of-week
    if dow != "*" and dom == "*":
        dom = "?"
    elif dom != "*" or dow == "*":
        dow = "?"
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def _target(target: EcsTarget | LambdaTarget, command: list[str]) -> dict[str, Any]:
    if isinstance(target, LambdaTarget):
        return {
            "Arn": target.function_arn,
            "RoleArn": target.role_arn,
            "Input": json.dumps({"command": command}),
        }
    network: dict[str, Any] = {
        "Subnets": target.subnets,
        "AssignPublicIp": "ENABLED" if target.assign_public_ip else "DISABLED",
    }
    if target.security_groups:  # the API rejects an empty list
        network["SecurityGroups"] = target.security_groups
    return {
        "Arn": target.cluster_arn,
        "RoleArn": target.role_arn,
        "EcsParameters": {
            "TaskDefinitionArn": target.task_definition_arn,
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {"awsvpcConfiguration": network},
        },
        "Input": json.dumps(
            {"containerOverrides": [{"name": target.container_name, "command": command}]}
        ),
    }


class AwsScheduler:
    def __init__(self, clients: AwsClients, region: str | None = None) -> None:
        self.client = clients.client("scheduler", region)

    def _ensure_group(self) -> None:
        try:
            self.client.get_schedule_group(Name=GROUP)
        except self.client.exceptions.ResourceNotFoundException:
            self.client.create_schedule_group(
                Name=GROUP, Tags=[{"Key": "managed-by", "Value": "chaosrun"}]
            )

    def create(
        self, name: str, trigger: Trigger, target: EcsTarget | LambdaTarget, command: list[str]
    ) -> str:
        self._ensure_group()
        resp = self.client.create_schedule(
            Name=name,
            GroupName=GROUP,
            ScheduleExpression=schedule_expression(trigger),
            ScheduleExpressionTimezone=trigger.timezone,
            FlexibleTimeWindow={"Mode": "OFF"},
            Target=_target(target, command),
            State="ENABLED",
            Description=f"chaosrun: {' '.join(command)}"[:512],
        )
        return str(resp["ScheduleArn"])

    def list(self) -> list[AwsSchedule]:
        found = []
        for page in self.client.get_paginator("list_schedules").paginate(GroupName=GROUP):
            for item in page.get("Schedules", []):
                full = self.client.get_schedule(Name=item["Name"], GroupName=GROUP)
                found.append(
                    AwsSchedule(
                        name=full["Name"],
                        expression=full["ScheduleExpression"],
                        timezone=full.get("ScheduleExpressionTimezone", "UTC"),
                        target_arn=full["Target"]["Arn"],
                        state=full.get("State", "ENABLED"),
                    )
                )
        return found

    def delete(self, name: str) -> None:
        self.client.delete_schedule(Name=name, GroupName=GROUP)
