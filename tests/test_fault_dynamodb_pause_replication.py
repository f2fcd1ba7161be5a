"""Round trip of dynamodb.pause_replication: the FIS-shaped statement in, only it out again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.dynamodb.pause_replication"
ROLE = (
    "arn:aws:iam::123456789012:role/aws-service-role/replication.dynamodb.amazonaws.com/"
    "AWSServiceRoleForDynamoDBReplication"
)
EXISTING = {
    "Sid": "AppReadOnly",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
    "Action": "dynamodb:GetItem",
    "Resource": "*",
}


def make_table(client: Any, name: str, tags: dict[str, str]) -> str:
    return str(
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )["TableDescription"]["TableArn"]
    )


def policy(client: Any, arn: str) -> dict[str, Any] | None:
    try:
        return dict(json.loads(client.get_resource_policy(ResourceArn=arn)["Policy"]))
    except client.exceptions.PolicyNotFoundException:
        return None


@pytest.fixture
def tables():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        orders = make_table(client, "orders", {"global": "yes"})
        stock = make_table(client, "stock", {"global": "yes"})
        make_table(client, "local", {})
        client.put_resource_policy(
            ResourceArn=stock,
            Policy=json.dumps({"Version": "2012-10-17", "Statement": [EXISTING]}),
        )
        yield client, orders, stock


def _ctx(tmp_path) -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / "l"))


def test_pause_by_tag_and_exact_restore(tables, tmp_path) -> None:
    client, orders, stock = tables
    ctx = _ctx(tmp_path)
    started = datetime.now(UTC)
    record = apply_fault(
        ctx, FAULT, {"tags": {"global": "yes"}, "regions": ["eu-west-1"], "duration_seconds": 600}
    )
    assert sorted(t.target.name for t in record.targets) == ["orders", "stock"]

    [statement] = policy(client, orders)["Statement"]
    assert statement["Sid"].startswith("ChaosrunPauseReplication")
    assert statement["Sid"].isalnum()
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Resource"] == orders
    assert "dynamodb:PutItem" in statement["Action"]
    assert statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": ROLE}
    expiry = statement["Condition"]["DateLessThan"]["aws:CurrentTime"]
    assert expiry.endswith("Z")
    expires = datetime.strptime(expiry, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert started + timedelta(seconds=599) <= expires <= datetime.now(UTC) + timedelta(seconds=601)

    stock_policy = policy(client, stock)
    assert stock_policy["Statement"][0] == EXISTING
    assert len(stock_policy["Statement"]) == 2

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    assert policy(client, orders) is None  # no policy before: none after
    assert policy(client, stock)["Statement"] == [EXISTING]  # other statements untouched
    tags = client.list_tags_of_resource(ResourceArn=orders)["Tags"]
    assert tags == [{"Key": "global", "Value": "yes"}]  # lock tag gone
    assert restore_run(ctx.ledger, ctx.clients, ctx.run_id) == []


def test_drift_is_reported_not_clobbered(tables, tmp_path) -> None:
    client, orders, _ = tables
    ctx = _ctx(tmp_path)
    apply_fault(ctx, FAULT, {"arns": [orders], "duration_seconds": 60})
    doc = policy(client, orders)
    doc["Statement"][0]["Action"] = ["dynamodb:PutItem"]  # someone edits our statement
    client.put_resource_policy(ResourceArn=orders, Policy=json.dumps(doc))
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert policy(client, orders)["Statement"][0]["Action"] == ["dynamodb:PutItem"]


def test_a_statement_removed_by_hand_counts_as_restored(tables, tmp_path) -> None:
    client, orders, _ = tables
    ctx = _ctx(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["orders"], "regions": ["eu-west-1"], "duration_seconds": 60})
    client.delete_resource_policy(ResourceArn=orders)
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.ALREADY
