"""What the EventBridge rule faults share: rule targets on a named event bus, and their lock.

A rule ARN is ``arn:aws:events:<region>:<account>:rule/<name>`` on the default bus and
``.../rule/<bus>/<name>`` on a custom bus, so every call can be made from the ARN alone.
Rules are found by tag with ``ListRules`` + ``ListTagsForResource`` (works on every bus, and in
moto, whose tagging API does not know rules).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chaosrun.aws.clients import AwsClients
from chaosrun.faults.base import Target, TargetedParams

RULE_KIND = "events:rule"
RULE_PERMISSIONS = (
    "events:DescribeRule",
    "events:ListRules",
    "events:ListTagsForResource",
    "events:TagResource",
    "events:UntagResource",
)


class RuleParams(TargetedParams):
    """Rules by ``names`` (on ``event_bus_name``), ``arns`` or ``tags``."""

    event_bus_name: str = Field("default", description="event bus of the rules (name or ARN)")


def rule_ref(target: Target) -> tuple[str, str]:
    """``(event_bus_name, rule_name)`` from a rule ARN."""
    path = target.arn.split(":", 5)[5].split("/")
    if path[0] != "rule" or len(path) not in (2, 3):
        raise ValueError(
            f"{target.arn!r} is not an EventBridge rule ARN; expected "
            "arn:aws:events:<region>:<account>:rule/[<bus>/]<name>"
        )
    return ("default", path[1]) if len(path) == 2 else (path[1], path[2])


def _rule_target(arn: str) -> Target:
    region = arn.split(":")[3]
    return Target(arn=arn, name=arn.rsplit("/", 1)[1], region=region, kind=RULE_KIND)


def discover_rules(clients: AwsClients, params: RuleParams, regions: list[str]) -> list[Target]:
    if params.arns:
        return [_rule_target(a) for a in params.arns]
    bus = params.event_bus_name
    found: list[Target] = []
    for region in regions:
        client = clients.client("events", region)
        for page in client.get_paginator("list_rules").paginate(EventBusName=bus):
            for rule in page.get("Rules", []):
                if params.names and rule["Name"] not in params.names:
                    continue
                if params.tags:
                    tags = client.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])
                    have = {t["Key"]: t["Value"] for t in tags}
                    if any(have.get(k) != v for k, v in params.tags.items()):
                        continue
                found.append(_rule_target(rule["Arn"]))
    return found


def events_client(clients: AwsClients, target: Target) -> Any:
    return clients.client("events", target.region)
