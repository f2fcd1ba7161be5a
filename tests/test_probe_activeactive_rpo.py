"""activeactive.rpo: acknowledged writes a store lost, found by reading each id back."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import InvalidParameters
from chaosrun.probes.activeactive import Rpo
from chaosrun.probes.base import run_probe
from chaosrun.probes.traffic_generate import TrafficGenerate
from tests.test_traffic_support import ScriptedServer

WRITES = {"requests": [{"method": "POST", "path": "/orders"}], "rate": 100, "duration": 0.5}


def test_counts_and_lists_lost_writes_over_http() -> None:
    lost_ids: set[str] = set()

    def lose(body: dict[str, object]) -> bool:
        if int(str(body["seq"])) % 10 == 3:  # every tenth acknowledged write vanishes
            lost_ids.add(str(body["id"]))
            return True
        return False

    shared: dict[str, dict[str, object]] = {}
    with (
        ScriptedServer(region="us-east-1", lose_write=lose, orders=shared) as us,
        ScriptedServer(region="eu-west-1", orders=shared) as eu,
    ):
        run_probe(
            TrafficGenerate, {"session": "rpo", "endpoints": [us.url], **WRITES}, AwsClients()
        )
        out = run_probe(
            Rpo,
            {
                "session": "rpo",
                "read_urls": [us.url + "/orders/{id}", eu.url + "/orders/{id}"],
                "retries": 0,
                "max_lost_writes": 0,
            },
            AwsClients(),
        )
    assert out.checked == 50
    assert out.lost_writes == len(lost_ids) == 5
    assert {w.id for w in out.lost} == lost_ids
    assert out.unverified == 0 and out.ok is False
    [m] = out.measurements()
    assert m.value == 5 and m.bound == 0 and m.ok is False


def test_unanswered_reads_are_unverified_not_lost() -> None:
    with ScriptedServer() as srv:
        run_probe(TrafficGenerate, {"session": "u", "endpoints": [srv.url], **WRITES}, AwsClients())
        srv.down = True
        out = run_probe(
            Rpo,
            {
                "session": "u",
                "read_urls": [srv.url + "/orders/{id}"],
                "retries": 1,
                "retry_delay_s": 0,
            },
            AwsClients(),
        )
    assert out.lost_writes == 0 and out.unverified == out.checked == 50


@mock_aws
def test_reads_back_from_dynamodb_in_every_region() -> None:
    with ScriptedServer() as srv:
        traffic = run_probe(
            TrafficGenerate, {"session": "ddb", "endpoints": [srv.url], **WRITES}, AwsClients()
        )
    ids = [w.id for w in traffic.acknowledged_writes]
    for region in ("us-east-1", "eu-west-1"):
        ddb = boto3.client("dynamodb", region_name=region)
        ddb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        # eu-west-1 never received the last 7 writes
        for i in ids if region == "us-east-1" else ids[:-7]:
            ddb.put_item(TableName="orders", Item={"id": {"S": i}})
    args = {
        "session": "ddb",
        "retries": 0,
        "dynamodb": {"table": "orders", "regions": ["us-east-1", "eu-west-1"]},
    }
    out = run_probe(Rpo, args, AwsClients())
    assert out.lost_writes == 7 and out.missing_by_target["dynamodb:orders@eu-west-1"] == 7
    assert run_probe(Rpo, {**args, "mode": "any"}, AwsClients()).lost_writes == 0


def test_needs_a_read_back_target() -> None:
    with pytest.raises(InvalidParameters, match="read_urls"):
        run_probe(Rpo, {"session": "x"}, AwsClients())
