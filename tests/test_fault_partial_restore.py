"""Restore after a multi-call write that stopped part-way: an injection that never reached
``applied`` (a call failed, or kill -9 in the middle), or a restore that failed: a state made
only of snapshot and planned parts is the run's own change, so the snapshot goes back. Anything
else is still drift, and an entry that did reach ``applied`` and whose restores never failed is
judged strictly, as before."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from lambda_fixtures import REGION, execution_role, fault_context, make_function
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.aws.locks import LOCK_TAG
from chaosrun.faults.base import RestoreStatus, is_mix
from chaosrun.faults.runtime import apply_fault, restore_run

REMOVE = "chaosrun.faults.iam.remove_permissions"
RESOURCE = "chaosrun.faults.iam.remove_resource_permission"
DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def _fail_call(clients, service: str, operation: str, nth: int) -> None:
    """The ``nth`` call of ``operation`` through ``clients`` fails (a throttled API, say)."""
    seen = {"n": 0}

    def fail(model, **kwargs):
        if model.name == operation:
            seen["n"] += 1
            if seen["n"] == nth:
                raise ClientError({"Error": {"Code": "Throttling"}}, operation)

    clients.client(service, REGION).meta.events.register("before-call", fail)


@pytest.fixture
def iam():
    with mock_aws():
        client = boto3.client("iam", region_name=REGION)
        client.create_role(RoleName="app", AssumeRolePolicyDocument="{}")
        for name in ("p1", "p2"):
            arn = client.create_policy(PolicyName=name, PolicyDocument=json.dumps(DOC))
            client.attach_role_policy(RoleName="app", PolicyArn=arn["Policy"]["Arn"])
            client.put_role_policy(
                RoleName="app", PolicyName=f"inline-{name}", PolicyDocument=json.dumps(DOC)
            )
        yield client


def _attached(iam) -> list[str]:
    return sorted(
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"]
    )


def _policy_arns(iam) -> list[str]:
    return sorted(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"])


def _assert_restored_and_unlocked(iam, result) -> None:
    assert result.status is RestoreStatus.RESTORED
    assert _attached(iam) == ["p1", "p2"]
    assert LOCK_TAG not in {t["Key"] for t in iam.list_role_tags(RoleName="app")["Tags"]}


def _restore(ctx):
    """Restore through fresh clients: the failing hook was for the injection only."""
    return restore_run(ctx.ledger, AwsClients(), ctx.run_id)


@pytest.mark.parametrize(
    ("now", "mixed"),
    [
        ({"a": False, "b": True}, True),  # a changed, b not yet
        ({"a": True, "b": True}, True),  # nothing changed yet
        ({"a": False, "b": False}, True),  # all changed
        ({"a": False, "b": True, "c": 1}, False),  # a key neither state has
        ({"a": False}, False),  # b gone: neither state lacks it
    ],
)
def test_is_mix_of_mappings(now, mixed) -> None:
    assert is_mix(now, {"a": True, "b": True}, {"a": False, "b": False}) is mixed


Y1, Y2 = {"sid": "y", "v": 1}, {"sid": "y", "v": 2}


@pytest.mark.parametrize(
    ("now", "mixed"),
    [
        (["x", Y1, "keep"], True),  # nothing removed yet
        ([Y1, "keep"], True),  # x removed, y not yet
        (["keep"], True),
        ([Y1], False),  # an item both states share is gone
        ([Y1, "keep", "new"], False),  # an item from nowhere
        ([Y2, "keep"], False),  # an item edited
    ],
)
def test_is_mix_of_lists(now, mixed) -> None:
    assert is_mix(now, ["x", Y1, "keep"], ["keep"]) is mixed


def test_half_detached_policies_are_restored(iam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    _fail_call(ctx.clients, "iam", "DetachRolePolicy", 2)
    with pytest.raises(ClientError, match="Throttling"):
        apply_fault(ctx, REMOVE, {"names": ["app"], "detach_policies": _policy_arns(iam)})
    assert _attached(iam) == ["p2"]

    [(entry, result)] = _restore(ctx)
    assert not entry.applied
    _assert_restored_and_unlocked(iam, result)


def test_half_deleted_inline_policies_are_restored_but_an_edit_is_drift(iam, tmp_path) -> None:
    names = ["inline-p1", "inline-p2"]
    ctx = fault_context(tmp_path)
    _fail_call(ctx.clients, "iam", "DeleteRolePolicy", 2)
    with pytest.raises(ClientError):
        apply_fault(ctx, REMOVE, {"names": ["app"], "remove_inline_policies": names})
    edited = {**DOC, "Statement": [{**DOC["Statement"][0], "Action": "s3:GetObject"}]}
    iam.put_role_policy(RoleName="app", PolicyName="inline-p2", PolicyDocument=json.dumps(edited))

    [(_, result)] = _restore(ctx)
    assert result.status is RestoreStatus.DRIFT  # inline-p2 is neither snapshot nor planned
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["inline-p2"]

    iam.put_role_policy(RoleName="app", PolicyName="inline-p2", PolicyDocument=json.dumps(DOC))
    [(_, result)] = _restore(ctx)  # put back as it was: the half-made change is ours again
    assert result.status is RestoreStatus.RESTORED
    assert sorted(iam.list_role_policies(RoleName="app")["PolicyNames"]) == names


def test_a_mix_after_a_finished_injection_is_still_drift(iam, tmp_path) -> None:
    p1, p2 = _policy_arns(iam)
    ctx = fault_context(tmp_path)
    apply_fault(ctx, REMOVE, {"names": ["app"], "detach_policies": [p1, p2]})
    iam.attach_role_policy(RoleName="app", PolicyArn=p1)  # somebody put one back

    [(entry, result)] = _restore(ctx)
    assert entry.applied and result.status is RestoreStatus.DRIFT
    assert _attached(iam) == ["p1"]  # left as found


def _restore_failing(ctx, operation: str, nth: int):
    """A restore whose ``nth`` call of ``operation`` is throttled."""
    clients = AwsClients()
    _fail_call(clients, "iam", operation, nth)
    return restore_run(ctx.ledger, clients, ctx.run_id)


def test_a_restore_that_stopped_half_way_is_finished_by_the_retry(iam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    apply_fault(ctx, REMOVE, {"names": ["app"], "detach_policies": _policy_arns(iam)})
    [(entry, result)] = _restore_failing(ctx, "AttachRolePolicy", 2)
    assert entry.applied and result.status is RestoreStatus.FAILED
    assert _attached(iam) == ["p1"]  # a mix made by our own restore

    [(_, result)] = _restore(ctx)  # chaosrun rollback
    _assert_restored_and_unlocked(iam, result)


def test_after_a_half_restore_an_edit_is_drift_until_it_is_put_back(iam, tmp_path) -> None:
    names = ["inline-p1", "inline-p2"]
    ctx = fault_context(tmp_path)
    apply_fault(ctx, REMOVE, {"names": ["app"], "remove_inline_policies": names})
    [(_, result)] = _restore_failing(ctx, "PutRolePolicy", 2)
    assert result.status is RestoreStatus.FAILED
    edited = {**DOC, "Statement": [{**DOC["Statement"][0], "Action": "s3:GetObject"}]}
    iam.put_role_policy(RoleName="app", PolicyName="inline-p2", PolicyDocument=json.dumps(edited))

    [(_, result)] = _restore(ctx)
    assert result.status is RestoreStatus.DRIFT  # inline-p2 is neither snapshot nor planned
    iam.delete_role_policy(RoleName="app", PolicyName="inline-p2")
    [(_, result)] = _restore(ctx)  # the mix our failed restore left: still ours after the drift
    assert result.status is RestoreStatus.RESTORED
    assert sorted(iam.list_role_policies(RoleName="app")["PolicyNames"]) == names


@pytest.fixture
def lam():
    with mock_aws():
        make_function("orders", execution_role())
        client = boto3.client("lambda", region_name=REGION)
        for sid in ("gw-a", "gw-b"):
            client.add_permission(
                FunctionName="orders",
                StatementId=sid,
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
            )
        yield client


def _sids(lam) -> list[str]:
    return sorted(
        s["Sid"] for s in json.loads(lam.get_policy(FunctionName="orders")["Policy"])["Statement"]
    )


def test_half_removed_statements_are_restored_but_a_new_one_is_drift(lam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    _fail_call(ctx.clients, "lambda", "RemovePermission", 2)
    with pytest.raises(ClientError):
        apply_fault(ctx, RESOURCE, {"names": ["orders"], "principal": "apigateway.amazonaws.com"})
    assert len(_sids(lam)) == 1
    lam.add_permission(
        FunctionName="orders",
        StatementId="gw-new",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    [(_, result)] = _restore(ctx)
    assert result.status is RestoreStatus.DRIFT

    lam.remove_permission(FunctionName="orders", StatementId="gw-new")
    [(_, result)] = _restore(ctx)
    assert result.status is RestoreStatus.RESTORED
    assert _sids(lam) == ["gw-a", "gw-b"]
