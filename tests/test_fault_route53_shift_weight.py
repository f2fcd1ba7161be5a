"""Round trip of route53.shift_weight: weights changed, whole records restored exactly."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import NoTargets
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.route53.shift_weight"


@pytest.fixture
def zone():
    with mock_aws():
        client = boto3.client("route53", region_name="us-east-1")
        zone_id = client.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"][
            "Id"
        ].rsplit("/", 1)[1]
        check = client.create_health_check(
            CallerReference=uuid.uuid4().hex,
            HealthCheckConfig={"Type": "HTTP", "FullyQualifiedDomainName": "e.example.com"},
        )["HealthCheck"]["Id"]
        records = [
            {
                "Name": "api.example.com.",
                "Type": "A",
                "SetIdentifier": "us-east-1",
                "Weight": 200,
                "TTL": 30,
                "ResourceRecords": [{"Value": "10.0.0.1"}],
                "HealthCheckId": check,
            },
            {
                "Name": "api.example.com.",
                "Type": "A",
                "SetIdentifier": "us-west-2",
                "Weight": 55,
                "TTL": 60,
                "ResourceRecords": [{"Value": "10.0.1.1"}, {"Value": "10.0.1.2"}],
            },
            {
                "Name": "www.example.com.",
                "Type": "A",
                "SetIdentifier": "us-east-1",
                "Weight": 1,
                "TTL": 60,
                "ResourceRecords": [{"Value": "10.0.0.9"}],
            },
        ]
        client.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [{"Action": "CREATE", "ResourceRecordSet": r} for r in records]
            },
        )
        yield client, zone_id


def _ctx(tmp_path) -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / "l"))


def _records(client: Any, zone_id: str) -> list[dict[str, Any]]:
    rrs = client.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return sorted(
        (r for r in rrs if "SetIdentifier" in r), key=lambda r: (r["Name"], r["SetIdentifier"])
    )


def _weights(client: Any, zone_id: str) -> dict[str, int]:
    return {f"{r['Name']}{r['SetIdentifier']}": r["Weight"] for r in _records(client, zone_id)}


def test_shift_and_exact_restore(zone, tmp_path) -> None:
    client, zone_id = zone
    before = _records(client, zone_id)
    ctx = _ctx(tmp_path)
    record = apply_fault(
        ctx,
        FAULT,
        {
            "hosted_zone_id": f"/hostedzone/{zone_id}",
            "record_name": "API.example.com",
            "weights": {"us-east-1": 0, "us-west-2": 255},
        },
    )
    assert len(record.targets) == 2
    assert _weights(client, zone_id) == {
        "api.example.com.us-east-1": 0,
        "api.example.com.us-west-2": 255,
        "www.example.com.us-east-1": 1,
    }
    east = next(r for r in _records(client, zone_id) if r["SetIdentifier"] == "us-east-1")
    assert east["TTL"] == 30 and "HealthCheckId" in east  # everything else untouched

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    assert _records(client, zone_id) == before


def test_drift_and_unknown_set_identifier(zone, tmp_path) -> None:
    client, zone_id = zone
    args = {"hosted_zone_id": zone_id, "record_name": "api.example.com", "record_type": "A"}
    with pytest.raises(NoTargets, match="us-west-2"):
        apply_fault(_ctx(tmp_path), FAULT, {**args, "weights": {"eu-west-1": 0}})
    ctx = _ctx(tmp_path)
    apply_fault(ctx, FAULT, {**args, "weights": {"us-west-2": 0}})
    west = next(r for r in _records(client, zone_id) if r["SetIdentifier"] == "us-west-2")
    client.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {**west, "TTL": 5}}]},
    )
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert result.current["TTL"] == 5 and result.current["Weight"] == 0
