"""Releasing a lock removes only this run's tag: a tag removed by hand and since taken by another
run (from any host) survives our release, whichever path releases it. The values are read in one
batched call where the tagging API applies, not once per target."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from lambda_fixtures import REGION, execution_role, fault_context, make_function
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.aws.locks import LOCK_TAG, LockNotReleased, TagLocks, lock_value
from chaosrun.faults.runtime import apply_fault, restore_run
from chaosrun.targets import Target

OURS, THEIRS = "run-ours", "run-theirs"
THEIR_VALUE = "run-theirs@other-host"


def _function(name: str, role: str) -> Target:
    return Target(arn=make_function(name, role), name=name, region=REGION, kind="lambda:function")


def _calls(clients: AwsClients) -> Counter[str]:
    """Every API call the clients make from now on, by operation name."""
    seen: Counter[str] = Counter()
    for service in ("resourcegroupstaggingapi", "lambda"):
        clients.client(service, REGION).meta.events.register(
            "before-call", lambda model, **_: seen.update([model.name])
        )
    return seen


def _lambda_tag(target: Target) -> str | None:
    lam = boto3.client("lambda", region_name=REGION)
    return lam.list_tags(Resource=target.arn)["Tags"].get(LOCK_TAG)


@mock_aws
def test_release_leaves_another_runs_lock_and_reads_in_one_batch() -> None:
    role = execution_role()
    ours = [_function(f"ours{i}", role) for i in range(21)]  # more than one untag batch of 20
    theirs, free = _function("theirs", role), _function("free", role)
    clients = AwsClients()
    TagLocks(clients, OURS).acquire(ours)
    TagLocks(clients, THEIRS).acquire([theirs])
    boto3.client("lambda", region_name=REGION).tag_resource(
        Resource=theirs.arn, Tags={LOCK_TAG: THEIR_VALUE}
    )

    calls = _calls(clients)
    TagLocks(clients, OURS).release([*ours, theirs, free])

    assert [_lambda_tag(t) for t in ours] == [None] * 21
    assert _lambda_tag(theirs) == THEIR_VALUE
    assert _lambda_tag(free) is None
    # one batched read; only the untagged function, absent from it, is read again from Lambda
    assert calls == Counter(GetResources=1, ListTags=1, UntagResources=2)


@mock_aws
def test_a_tag_the_tagging_index_does_not_show_yet_is_still_released(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tagging API answers from its own index, which may lag a tag set moments ago (a fault
    whose snapshot failed releases the lock it just took): absence there is checked on the
    resource itself, so our tag is not left behind."""
    fn = _function("fresh", execution_role())
    clients = AwsClients()
    locks = TagLocks(clients, OURS)
    locks.acquire([fn])
    monkeypatch.setattr(TagLocks, "_locked_in", lambda self, kind, region: {})
    locks.release([fn])
    assert _lambda_tag(fn) is None


@mock_aws
def test_release_checks_per_resource_where_no_batch_read_exists() -> None:
    iam = boto3.client("iam", region_name=REGION)
    roles = [
        Target(arn=execution_role(name), name=name, region=REGION, kind="iam:role")
        for name in ("mine", "retaken")
    ]
    clients = AwsClients()
    TagLocks(clients, OURS).acquire(roles)
    iam.tag_role(RoleName="retaken", Tags=[{"Key": LOCK_TAG, "Value": THEIR_VALUE}])

    TagLocks(clients, OURS).release(roles)

    def tag(name: str) -> str | None:
        tags = iam.list_role_tags(RoleName=name)["Tags"]
        return next((t["Value"] for t in tags if t["Key"] == LOCK_TAG), None)

    assert tag("mine") is None
    assert tag("retaken") == THEIR_VALUE


@mock_aws
def test_a_lock_that_cannot_be_read_is_reported_not_removed() -> None:
    role = Target(arn=execution_role("r"), name="r", region=REGION, kind="iam:role")
    clients = AwsClients()
    TagLocks(clients, OURS).acquire([role])

    def deny(model, **_):  # type: ignore[no-untyped-def]
        if model.name == "ListRoleTags":
            raise ClientError({"Error": {"Code": "AccessDenied"}}, model.name)

    clients.client("iam", REGION).meta.events.register("before-call", deny)
    with pytest.raises(LockNotReleased) as caught:
        TagLocks(clients, OURS).release([role])
    assert caught.value.targets == [role]
    tags = boto3.client("iam", region_name=REGION).list_role_tags(RoleName="r")["Tags"]
    assert {"Key": LOCK_TAG, "Value": lock_value(OURS)} in tags


@mock_aws
def test_restore_leaves_a_lock_retaken_by_another_run(tmp_path: Path) -> None:
    role = execution_role()
    target = _function("f", role)
    ctx = fault_context(tmp_path)
    apply_fault(ctx, "chaosrun.faults.awslambda.throttle", {"names": ["f"]})
    assert _lambda_tag(target) == lock_value(ctx.run_id)
    lam = boto3.client("lambda", region_name=REGION)
    lam.untag_resource(Resource=target.arn, TagKeys=[LOCK_TAG])  # removed by hand...
    lam.tag_resource(Resource=target.arn, Tags={LOCK_TAG: THEIR_VALUE})  # ...and taken again

    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)

    assert result.ok
    assert _lambda_tag(target) == THEIR_VALUE
