"""Round trip of route53.force_failover: health checks inverted, prior Inverted restored."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import FaultConflict, NoTargets
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.route53.force_failover"


def make_check(client: Any, region: str, inverted: bool = False) -> str:
    check_id = client.create_health_check(
        CallerReference=uuid.uuid4().hex,
        HealthCheckConfig={
            "Type": "HTTPS",
            "FullyQualifiedDomainName": f"api.{region}.example.com",
            "ResourcePath": "/health",
            "Inverted": inverted,
        },
    )["HealthCheck"]["Id"]
    client.change_tags_for_resource(
        ResourceType="healthcheck",
        ResourceId=check_id,
        AddTags=[{"Key": "region", "Value": region}],
    )
    return str(check_id)


def inverted(client: Any, check_id: str) -> bool:
    config = client.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
    return bool(config["Inverted"])


def tags(client: Any, check_id: str) -> dict[str, str]:
    resp = client.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check_id)
    return {t["Key"]: t["Value"] for t in resp["ResourceTagSet"]["Tags"]}


@pytest.fixture
def checks():
    with mock_aws():
        client = boto3.client("route53", region_name="us-east-1")
        east_a = make_check(client, "us-east-1")
        east_b = make_check(client, "us-east-1", inverted=True)
        west = make_check(client, "us-west-2")
        yield client, east_a, east_b, west


def _ctx(tmp_path, name: str = "l") -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / name))


def test_invert_by_tag_and_exact_restore(checks, tmp_path) -> None:
    client, east_a, east_b, west = checks
    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"region": "us-east-1"}})
    assert sorted(t.target.name for t in record.targets) == sorted([east_a, east_b])
    assert inverted(client, east_a) and inverted(client, east_b)
    assert not inverted(client, west)
    assert tags(client, east_a)["chaosrun:lock"].startswith(ctx.run_id)

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    by_id = {e.intent.target.name: r.status for e, r in results}
    assert by_id == {east_a: RestoreStatus.RESTORED, east_b: RestoreStatus.ALREADY}
    assert not inverted(client, east_a)
    assert inverted(client, east_b)  # inverted before: inverted after
    assert tags(client, east_a) == {"region": "us-east-1"}


def test_by_id_put_back_by_hand_is_already(checks, tmp_path) -> None:
    client, east_a, _, _ = checks
    ctx = _ctx(tmp_path)
    apply_fault(ctx, FAULT, {"ids": [east_a]})
    client.update_health_check(HealthCheckId=east_a, Inverted=False)
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.ALREADY  # put back by hand already


def test_unknown_id_and_lock(checks, tmp_path) -> None:
    _, east_a, _, _ = checks
    with pytest.raises(NoTargets, match="does not exist"):
        apply_fault(_ctx(tmp_path), FAULT, {"ids": ["nope"]})
    first = _ctx(tmp_path)
    apply_fault(first, FAULT, {"ids": [east_a]})
    other = _ctx(tmp_path, "other-machine")
    with pytest.raises(FaultConflict, match="lock tag"):
        apply_fault(other, FAULT, {"ids": [east_a]})
