"""Round trip of iam.remove_permissions in its three modes, with drift and absent values."""

from __future__ import annotations

import json

import boto3
import pytest
from lambda_fixtures import fault_context
from moto import mock_aws

from chaosrun.errors import FaultConflict, InvalidParameters, NoTargets
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import apply_fault, restore_run

FAULT = "chaosrun.faults.iam.remove_permissions"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
INLINE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
}


def _policy(iam, name: str) -> str:
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
    }
    return iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(doc))["Policy"]["Arn"]


@pytest.fixture
def world():
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        ddb, logs = _policy(iam, "ddb"), _policy(iam, "logs")
        for role, tags in (("orders-role", {"app": "shop"}), ("stock-role", {"app": "shop"})):
            iam.create_role(
                RoleName=role,
                AssumeRolePolicyDocument=TRUST,
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )
            iam.put_role_policy(
                RoleName=role, PolicyName="s3-read", PolicyDocument=json.dumps(INLINE)
            )
        iam.create_role(RoleName="other-role", AssumeRolePolicyDocument=TRUST)
        iam.attach_role_policy(RoleName="orders-role", PolicyArn=ddb)
        iam.attach_role_policy(RoleName="orders-role", PolicyArn=logs)
        iam.attach_role_policy(RoleName="stock-role", PolicyArn=logs)
        yield iam, ddb, logs


def _attached(iam, role: str) -> set[str]:
    return {
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    }


def _inline(iam, role: str) -> list[str]:
    return sorted(iam.list_role_policies(RoleName=role)["PolicyNames"])


def test_detach_by_tag_restores_only_what_was_attached(world, tmp_path) -> None:
    iam, ddb, logs = world
    ctx = fault_context(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"app": "shop"}, "detach_policies": [ddb]})
    assert sorted(t.target.name for t in record.targets) == ["orders-role", "stock-role"]
    assert _attached(iam, "orders-role") == {logs}
    assert _attached(iam, "stock-role") == {logs}

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    by_role = {e.intent.target.name: r.status for e, r in results}
    assert by_role == {"orders-role": RestoreStatus.RESTORED, "stock-role": RestoreStatus.ALREADY}
    assert _attached(iam, "orders-role") == {ddb, logs}
    assert _attached(iam, "stock-role") == {logs}  # ddb was never attached there
    assert "chaosrun:lock" not in {
        t["Key"] for t in iam.list_role_tags(RoleName="orders-role")["Tags"]
    }


def test_remove_inline_keeps_the_document_and_puts_it_back(world, tmp_path) -> None:
    iam, _, _ = world
    ctx = fault_context(tmp_path)
    record = apply_fault(
        ctx, FAULT, {"names": ["orders-role"], "remove_inline_policies": ["s3-read", "absent"]}
    )
    before = record.targets[0].before["inline"]
    assert before["absent"] is None and json.loads(before["s3-read"]) == INLINE
    assert _inline(iam, "orders-role") == []

    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.RESTORED
    assert _inline(iam, "orders-role") == ["s3-read"]  # "absent" stays absent
    doc = iam.get_role_policy(RoleName="orders-role", PolicyName="s3-read")["PolicyDocument"]
    assert doc == INLINE


def test_deny_adds_an_explicit_deny_and_restore_deletes_it(world, tmp_path) -> None:
    iam, _, _ = world
    arn = iam.get_role(RoleName="stock-role")["Role"]["Arn"]
    ctx = fault_context(tmp_path)
    record = apply_fault(ctx, FAULT, {"arns": [arn], "deny": {"actions": ["dynamodb:PutItem"]}})
    [name] = record.targets[0].after["inline"]
    assert name.startswith("chaosrun-deny-")
    doc = iam.get_role_policy(RoleName="stock-role", PolicyName=name)["PolicyDocument"]
    assert doc["Statement"][0]["Effect"] == "Deny"
    assert doc["Statement"][0]["Action"] == ["dynamodb:PutItem"]
    assert doc["Statement"][0]["Resource"] == ["*"]

    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert _inline(iam, "stock-role") == ["s3-read"]


def test_reattached_meanwhile_is_drift_not_clobbered(world, tmp_path) -> None:
    iam, ddb, logs = world
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["orders-role"], "remove_inline_policies": ["s3-read"]})
    changed = {**INLINE, "Statement": [{**INLINE["Statement"][0], "Action": "s3:*"}]}
    iam.put_role_policy(
        RoleName="orders-role", PolicyName="s3-read", PolicyDocument=json.dumps(changed)
    )
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert json.loads(result.current["inline"]["s3-read"]) == changed
    doc = iam.get_role_policy(RoleName="orders-role", PolicyName="s3-read")["PolicyDocument"]
    assert doc == changed

    # the lock stays while drift is unresolved
    assert "chaosrun:lock" in {t["Key"] for t in iam.list_role_tags(RoleName="orders-role")["Tags"]}

    ctx = fault_context(tmp_path, "b")
    apply_fault(ctx, FAULT, {"names": ["stock-role"], "detach_policies": [logs, ddb]})
    iam.attach_role_policy(RoleName="stock-role", PolicyArn=ddb)  # someone attached it
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert result.current == {"attached": {logs: False, ddb: True}, "inline": {}}
    assert _attached(iam, "stock-role") == {ddb}  # left as found


def test_lock_tag_refuses_a_second_run(world, tmp_path) -> None:
    first = fault_context(tmp_path)
    apply_fault(first, FAULT, {"names": ["other-role"], "deny": {"actions": ["s3:*"]}})
    other = fault_context(tmp_path, "other-machine")
    with pytest.raises(FaultConflict):
        apply_fault(other, FAULT, {"names": ["other-role"], "deny": {"actions": ["s3:*"]}})


def test_parameters_and_missing_roles(world, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    with pytest.raises(InvalidParameters, match="exactly one of detach_policies"):
        apply_fault(ctx, FAULT, {"names": ["orders-role"]})
    with pytest.raises(InvalidParameters, match="exactly one of detach_policies"):
        apply_fault(
            ctx,
            FAULT,
            {"names": ["x"], "deny": {"actions": ["s3:*"]}, "remove_inline_policies": ["a"]},
        )
    with pytest.raises(InvalidParameters, match="actions"):
        apply_fault(ctx, FAULT, {"names": ["orders-role"], "deny": {"actions": []}})
    with pytest.raises(NoTargets, match="does not exist"):
        apply_fault(ctx, FAULT, {"names": ["nope"], "deny": {"actions": ["s3:*"]}})
