"""DynamoDB global tables: replicas, replication lag, last writer wins, pause and resume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.global_tables import GlobalTables, pause_until
from tests.sandbox_helpers import eventually

pytestmark = pytest.mark.sandbox

REGIONS = ["us-east-1", "eu-west-1"]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(
        regions=REGIONS, time_scale=0.05, deploy_app=False, components=[GlobalTables]
    ) as sandbox:
        yield sandbox


def ddb(sb: Sandbox, region: str) -> Any:
    return sb.context.clients.client("dynamodb", region)


def component(sb: Sandbox) -> GlobalTables:
    gt = sb.context.component("global_tables")
    assert isinstance(gt, GlobalTables)
    return gt


def make_global_table(sb: Sandbox) -> None:
    ddb(sb, "us-east-1").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb(sb, "us-east-1").put_item(TableName="orders", Item={"id": {"S": "old"}})
    ddb(sb, "us-east-1").update_table(
        TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}]
    )


def get(sb: Sandbox, region: str, key: str) -> dict[str, Any] | None:
    return ddb(sb, region).get_item(TableName="orders", Key={"id": {"S": key}}).get("Item")


def test_replica_created_with_items_and_described(sb: Sandbox) -> None:
    make_global_table(sb)
    assert get(sb, "eu-west-1", "old") == {"id": {"S": "old"}}
    table = ddb(sb, "us-east-1").describe_table(TableName="orders")["Table"]
    assert table["Replicas"] == [{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}]
    assert table["GlobalTableVersion"] == "2019.11.21"
    replica = ddb(sb, "eu-west-1").describe_table(TableName="orders")["Table"]
    assert replica["Replicas"][0]["RegionName"] == "us-east-1"


def test_writes_replicate_after_a_lag_both_ways(sb: Sandbox) -> None:
    make_global_table(sb)
    gt = component(sb)
    gt.lag_seconds = 1000.0  # effectively never: the write must wait in the queue
    ddb(sb, "us-east-1").put_item(TableName="orders", Item={"id": {"S": "a"}, "v": {"N": "1"}})
    assert get(sb, "us-east-1", "a") is not None
    assert get(sb, "eu-west-1", "a") is None  # not yet: lag
    assert gt.pending("orders", "eu-west-1") == 1
    gt.lag_seconds = 1.0
    for p in gt._pending:
        p.due = 0.0
    assert gt.wait_idle()
    assert get(sb, "eu-west-1", "a") == {"id": {"S": "a"}, "v": {"N": "1"}}

    # the other way, with UpdateItem, BatchWriteItem, TransactWriteItems and DeleteItem
    eu = ddb(sb, "eu-west-1")
    eu.update_item(
        TableName="orders",
        Key={"id": {"S": "a"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    eu.batch_write_item(RequestItems={"orders": [{"PutRequest": {"Item": {"id": {"S": "b"}}}}]})
    eu.transact_write_items(
        TransactItems=[{"Put": {"TableName": "orders", "Item": {"id": {"S": "c"}}}}]
    )
    eu.delete_item(TableName="orders", Key={"id": {"S": "old"}})
    assert gt.wait_idle()
    assert get(sb, "us-east-1", "a") == {"id": {"S": "a"}, "v": {"N": "2"}}
    assert get(sb, "us-east-1", "b") and get(sb, "us-east-1", "c")
    assert get(sb, "us-east-1", "old") is None


def test_replication_latency_metric_is_published(sb: Sandbox) -> None:
    make_global_table(sb)
    ddb(sb, "us-east-1").put_item(TableName="orders", Item={"id": {"S": "m"}})
    assert component(sb).wait_idle()
    cw = sb.context.clients.client("cloudwatch", "us-east-1")
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(
        Namespace="AWS/DynamoDB",
        MetricName="ReplicationLatency",
        Dimensions=[
            {"Name": "TableName", "Value": "orders"},
            {"Name": "ReceivingRegion", "Value": "eu-west-1"},
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum", "SampleCount"],
    )["Datapoints"]
    assert points and sum(p["SampleCount"] for p in points) >= 1
    # lag is 1 s x time_scale 0.05 = 50 ms at least
    assert max(p["Maximum"] for p in points) >= 50.0


def pause_policy(sb: Sandbox, region: str, until: datetime) -> str:
    arn = ddb(sb, region).describe_table(TableName="orders")["Table"]["TableArn"]
    ddb(sb, region).put_resource_policy(
        ResourceArn=arn,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ChaosrunPauseReplication0001",
                        "Effect": "Deny",
                        "Principal": {
                            "AWS": f"arn:aws:iam::{sb.context.account_id}:role/aws-service-role/"
                            "replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication"
                        },
                        "Action": [
                            "dynamodb:PutItem",
                            "dynamodb:UpdateItem",
                            "dynamodb:DeleteItem",
                        ],
                        "Resource": arn,
                        "Condition": {
                            "DateLessThan": {
                                "aws:CurrentTime": until.strftime("%Y-%m-%dT%H:%M:%SZ")
                            }
                        },
                    }
                ],
            }
        ),
    )
    return str(arn)


def test_pause_holds_writes_and_they_flow_after_resume(sb: Sandbox) -> None:
    make_global_table(sb)
    gt = component(sb)
    arn = pause_policy(sb, "eu-west-1", datetime.now(UTC) + timedelta(hours=1))
    for i in range(3):
        ddb(sb, "us-east-1").put_item(TableName="orders", Item={"id": {"S": f"p{i}"}})
    # the lag has long passed once a later, unpaused table has caught up ...
    assert not gt.wait_idle(timeout=0.5)
    assert gt.pending("orders", "eu-west-1") == 3
    assert all(get(sb, "eu-west-1", f"p{i}") is None for i in range(3))
    # ... resume: remove the policy, pending writes flow in order
    ddb(sb, "eu-west-1").delete_resource_policy(ResourceArn=arn)
    assert gt.wait_idle()
    assert all(get(sb, "eu-west-1", f"p{i}") for i in range(3))


def test_expired_pause_does_not_hold(sb: Sandbox) -> None:
    make_global_table(sb)
    pause_policy(sb, "eu-west-1", datetime.now(UTC) - timedelta(minutes=1))
    ddb(sb, "us-east-1").put_item(TableName="orders", Item={"id": {"S": "x"}})
    assert component(sb).wait_idle()
    eventually(lambda: get(sb, "eu-west-1", "x"), "replicated despite the expired pause")


def test_last_writer_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    import chaosrun.sandbox.global_tables as mod

    applied: list[Any] = []

    class _Table:
        def put_item(self, item: Any) -> None:
            applied.append(item)

    class _Backend:
        tables = {"orders": _Table()}

    class _Ctx:
        account_id = "123456789012"

    monkeypatch.setattr(mod, "ddb_backend", lambda ctx, region: _Backend())
    monkeypatch.setattr(mod, "put_metric", lambda *a, **k: None)
    gt = GlobalTables()
    key = {"id": {"S": "k"}}
    gt._last_write[("orders", "eu-west-1", json.dumps(key, sort_keys=True))] = 200.0
    older = mod.PendingWrite("orders", "us-east-1", "eu-west-1", key, {"n": 0}, 100.0, 0.0)
    gt._apply(_Ctx(), older)  # type: ignore[arg-type]
    assert applied == []  # a later local write already landed
    newer = mod.PendingWrite("orders", "us-east-1", "eu-west-1", key, {"n": 1}, 300.0, 0.0)
    gt._apply(_Ctx(), newer)  # type: ignore[arg-type]
    assert applied == [{"n": 1}]


def test_pause_policy_parsing() -> None:
    now = datetime.now(UTC)
    assert pause_until(None, "1", now) is None
    doc = {"Statement": [{"Sid": "ChaosrunPauseReplicationX", "Effect": "Deny"}]}
    assert pause_until(json.dumps(doc), "1", now) == datetime.max.replace(tzinfo=UTC)
    doc["Statement"][0]["Effect"] = "Allow"
    assert pause_until(json.dumps(doc), "1", now) is None
