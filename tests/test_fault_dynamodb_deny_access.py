"""Round trip of dynamodb.deny_access: Deny statement in, only it out, prior policy intact."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws
from test_fault_dynamodb_pause_replication import EXISTING, make_table, policy

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import FaultConflict
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.dynamodb_deny_access import DATA_ACTIONS
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.dynamodb.deny_access"


@pytest.fixture
def tables():
    with mock_aws():
        west = boto3.client("dynamodb", region_name="us-west-2")
        east = boto3.client("dynamodb", region_name="us-east-1")
        west_arn = make_table(west, "orders", {})
        east_arn = make_table(east, "orders", {})
        west.put_resource_policy(
            ResourceArn=west_arn,
            Policy=json.dumps({"Version": "2012-10-17", "Statement": [EXISTING]}),
        )
        yield west, east, west_arn, east_arn


def _ctx(tmp_path, name: str = "l") -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / name))


def test_deny_in_one_region_and_exact_restore(tables, tmp_path) -> None:
    west, east, west_arn, east_arn = tables
    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"names": ["orders"], "regions": ["us-west-2"]})
    assert [t.target.arn for t in record.targets] == [west_arn]
    existing, ours = policy(west, west_arn)["Statement"]
    assert existing == EXISTING
    assert ours["Sid"].startswith("ChaosrunDenyAccess")
    assert ours["Effect"] == "Deny" and ours["Principal"] == {"AWS": "*"}
    assert ours["Action"] == list(DATA_ACTIONS)
    assert "Condition" not in ours
    assert policy(east, east_arn) is None  # the other region is untouched

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert [r.status for _, r in results] == [RestoreStatus.RESTORED]
    assert policy(west, west_arn)["Statement"] == [EXISTING]


def test_given_principals_and_expiry(tables, tmp_path) -> None:
    _, east, _, east_arn = tables
    ctx = _ctx(tmp_path)
    roles = ["arn:aws:iam::123456789012:role/b", "arn:aws:iam::123456789012:role/a"]
    apply_fault(ctx, FAULT, {"arns": [east_arn], "principals": roles, "duration_seconds": 120})
    [ours] = policy(east, east_arn)["Statement"]
    assert ours["Principal"] == {"AWS": sorted(roles)}
    assert list(ours["Condition"]) == ["DateLessThan"]
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert policy(east, east_arn) is None


def test_second_run_is_refused_by_the_lock_tag(tables, tmp_path) -> None:
    _, _, west_arn, _ = tables
    first = _ctx(tmp_path)
    apply_fault(first, FAULT, {"arns": [west_arn]})
    other = _ctx(tmp_path, "other-machine")
    with pytest.raises(FaultConflict, match="lock tag"):
        apply_fault(other, FAULT, {"arns": [west_arn]})
    restore_run(first.ledger, first.clients, first.run_id)
    apply_fault(other, FAULT, {"arns": [west_arn]})
