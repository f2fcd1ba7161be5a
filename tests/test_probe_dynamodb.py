"""dynamodb.table_state and dynamodb.replication_lag (marker and metric) against mock_aws."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.probes.base import run_probe
from chaosrun.probes.dynamodb_replication_lag import DynamoReplicationLag
from chaosrun.probes.dynamodb_table_state import TableState

REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")


def _tables() -> None:
    for region in REGIONS:
        boto3.client("dynamodb", region_name=region).create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


@mock_aws
def test_table_state() -> None:
    _tables()
    out = run_probe(TableState, {"table": "orders"}, AwsClients())
    assert out.status == "ACTIVE" and out.active and out.replicas_active
    assert out.billing_mode == "PAY_PER_REQUEST"


@mock_aws
def test_marker_lag_per_region() -> None:
    _tables()
    src = boto3.client("dynamodb", region_name="us-east-1")
    eu = boto3.client("dynamodb", region_name="eu-west-1")
    delay = 0.2
    stop = threading.Event()
    copied: set[str] = set()

    def replicate() -> None:  # a slow replication us-east-1 -> eu-west-1 only
        while not stop.wait(0.01):
            for item in src.scan(TableName="orders")["Items"]:
                key = item["id"]["S"]
                if key not in copied:
                    copied.add(key)
                    threading.Timer(
                        delay, eu.put_item, kwargs={"TableName": "orders", "Item": item}
                    ).start()

    worker = threading.Thread(target=replicate, daemon=True)
    worker.start()
    try:
        out = run_probe(
            DynamoReplicationLag,
            {
                "table": "orders",
                "regions": ["eu-west-1", "ap-south-1"],
                "wait_s": 1.5,
                "max_lag_ms": 10_000,
            },
            AwsClients(),
        )
    finally:
        stop.set()
        worker.join()
    assert out.lag_ms["eu-west-1"] >= delay * 1000
    assert out.lag_ms["ap-south-1"] is None and out.max_lag_ms is None and out.ok is False
    assert src.scan(TableName="orders")["Items"] == []  # the marker was cleaned up


@mock_aws
def test_metric_lag() -> None:
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_data(
        Namespace="AWS/DynamoDB",
        MetricData=[
            {
                "MetricName": "ReplicationLatency",
                "Dimensions": [
                    {"Name": "TableName", "Value": "orders"},
                    {"Name": "ReceivingRegion", "Value": "eu-west-1"},
                ],
                "Timestamp": datetime.now(UTC) - timedelta(seconds=90),
                "Value": 850.0,
            }
        ],
    )
    out = run_probe(
        DynamoReplicationLag,
        {"table": "orders", "regions": ["eu-west-1"], "mode": "metric", "max_lag_ms": 1000},
        AwsClients(),
    )
    assert out.lag_ms == {"eu-west-1": 850.0} and out.ok is True
    assert out.measurements()[0].value == 850.0
