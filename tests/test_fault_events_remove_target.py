"""Round trip of events.remove_target: full target definitions put back exactly."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.events.remove_target"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
TARGETS = [
    {
        "Id": "queue",
        "Arn": QUEUE,
        "InputTransformer": {
            "InputPathsMap": {"id": "$.detail.id"},
            "InputTemplate": '{"order": <id>}',
        },
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"},
        "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
    },
    {
        "Id": "fn",
        "Arn": "arn:aws:lambda:us-east-1:123456789012:function:ship",
        "Input": '{"fixed": true}',
    },
    {
        "Id": "bus",
        "Arn": "arn:aws:events:us-west-2:123456789012:event-bus/central",
        "RoleArn": "arn:aws:iam::123456789012:role/events",
    },
]


@pytest.fixture
def rule():
    with mock_aws():
        client = boto3.client("events", region_name="us-east-1")
        client.create_event_bus(Name="shop")
        client.put_rule(Name="placed", EventBusName="shop", EventPattern='{"source": ["s"]}')
        client.put_targets(Rule="placed", EventBusName="shop", Targets=TARGETS)
        yield client


def _ctx(tmp_path) -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / "l"))


def _targets(client: Any) -> list[dict[str, Any]]:
    found = client.list_targets_by_rule(Rule="placed", EventBusName="shop")["Targets"]
    return sorted(found, key=lambda t: t["Id"])


def test_remove_all_and_restore_exactly(rule, tmp_path) -> None:
    client = rule
    before = _targets(client)
    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"names": ["placed"], "event_bus_name": "shop"})
    assert [t["Id"] for t in record.targets[0].before["targets"]] == ["bus", "fn", "queue"]
    assert _targets(client) == []

    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.RESTORED
    assert _targets(client) == before
    queue = next(t for t in _targets(client) if t["Id"] == "queue")
    assert queue["RetryPolicy"] == TARGETS[0]["RetryPolicy"]
    assert queue["InputTransformer"] == TARGETS[0]["InputTransformer"]


def test_remove_some_by_id(rule, tmp_path) -> None:
    client = rule
    before = _targets(client)
    ctx = _ctx(tmp_path)
    apply_fault(
        ctx, FAULT, {"names": ["placed"], "event_bus_name": "shop", "target_ids": ["queue"]}
    )
    assert [t["Id"] for t in _targets(client)] == ["bus", "fn"]
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert _targets(client) == before


def test_a_target_added_meanwhile_is_drift(rule, tmp_path) -> None:
    client = rule
    ctx = _ctx(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["placed"], "event_bus_name": "shop"})
    client.put_targets(Rule="placed", EventBusName="shop", Targets=[{"Id": "new", "Arn": QUEUE}])
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert result.current == {"targets": [{"Id": "new", "Arn": QUEUE}]}
    assert [t["Id"] for t in _targets(client)] == ["new"]
