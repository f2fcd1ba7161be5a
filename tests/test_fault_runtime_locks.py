"""Lock tags after an injection that stopped part-way: a target the run has no ledger entry for
(skipped by a cancel, or its snapshot failed) must not keep the run's lock, since no restore
will ever remove it; a failing unlock is raised or logged, never dropped."""

from __future__ import annotations

import logging

import boto3
import pytest
from botocore.exceptions import ClientError
from lambda_fixtures import REGION, execution_role, fault_context, make_function
from moto import mock_aws

from chaosrun.aws.locks import LOCK_TAG, LockNotReleased
from chaosrun.faults import lambda_throttle
from chaosrun.faults.runtime import apply_fault, restore_run

FAULT = "chaosrun.faults.awslambda.throttle"
NAMES = ("a1", "a2", "a3")
READ = lambda_throttle.Throttle.read


@pytest.fixture
def lam():
    with mock_aws():
        role = execution_role("r")
        for name in NAMES:
            make_function(name, role, Tags={"app": "shop"})
        yield boto3.client("lambda", region_name=REGION)


def _locked(lam, name: str) -> bool:
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    return LOCK_TAG in lam.list_tags(Resource=arn)["Tags"]


def _reserved(lam, name: str) -> int | None:
    return lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")


def _deny_read_of(monkeypatch, name: str) -> None:
    def denied(self, target):
        if target.name == name:
            raise ClientError({"Error": {"Code": "AccessDeniedException"}}, "GetFunction")
        return READ(self, target)

    monkeypatch.setattr(lambda_throttle.Throttle, "read", denied)


def _fail_untag(clients) -> None:
    """Every lock-tag removal (tagging API and Lambda's own call) fails with AccessDenied."""

    def deny(model, **kwargs):
        if model.name in ("UntagResources", "UntagResource"):
            raise ClientError({"Error": {"Code": "AccessDeniedException"}}, model.name)

    for service in ("resourcegroupstaggingapi", "lambda"):
        clients.client(service, REGION).meta.events.register("before-call", deny)


def test_targets_skipped_by_a_cancel_are_unlocked(lam, tmp_path, monkeypatch) -> None:
    ctx = fault_context(tmp_path)
    ctx.concurrency = 1  # targets one after the other: the cancel lands after the first

    def read_then_cancel(self, target):
        ctx.cancel.set()  # e.g. SIGINT during the fan-out
        return READ(self, target)

    monkeypatch.setattr(lambda_throttle.Throttle, "read", read_then_cancel)
    record = apply_fault(ctx, FAULT, {"tags": {"app": "shop"}})
    assert [t.target.name for t in record.targets] == ["a1"]
    assert [_locked(lam, n) for n in NAMES] == [True, False, False]

    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert not any(_locked(lam, n) for n in NAMES)
    apply_fault(fault_context(tmp_path, "other"), FAULT, {"names": ["a2"]})  # not refused


def test_a_target_whose_snapshot_failed_is_unlocked(lam, tmp_path, monkeypatch) -> None:
    ctx = fault_context(tmp_path)
    _deny_read_of(monkeypatch, "a2")
    with pytest.raises(ClientError, match="AccessDenied"):
        apply_fault(ctx, FAULT, {"tags": {"app": "shop"}})
    assert not _locked(lam, "a2")
    assert _reserved(lam, "a1") == 0 and _locked(lam, "a1")  # changed: keeps its lock

    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert not any(_locked(lam, n) for n in NAMES)
    monkeypatch.setattr(lambda_throttle.Throttle, "read", READ)
    apply_fault(fault_context(tmp_path, "other"), FAULT, {"names": ["a2"]})  # not refused


def test_a_lock_held_for_an_earlier_activity_of_the_run_stays(lam, tmp_path, monkeypatch) -> None:
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["a1"]})
    _deny_read_of(monkeypatch, "a1")
    with pytest.raises(ClientError):
        apply_fault(ctx, FAULT, {"names": ["a1"], "reserved_concurrency": 1})
    assert _locked(lam, "a1")  # the throttle is still in place
    monkeypatch.setattr(lambda_throttle.Throttle, "read", READ)
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert not _locked(lam, "a1") and _reserved(lam, "a1") is None


def test_a_failing_unlock_is_raised(lam, tmp_path, monkeypatch) -> None:
    ctx = fault_context(tmp_path)
    ctx.concurrency = 1

    def read_then_cancel(self, target):
        ctx.cancel.set()
        return READ(self, target)

    monkeypatch.setattr(lambda_throttle.Throttle, "read", read_then_cancel)
    _fail_untag(ctx.clients)
    with pytest.raises(LockNotReleased) as raised:
        apply_fault(ctx, FAULT, {"tags": {"app": "shop"}})
    assert sorted(t.name for t in raised.value.targets) == ["a2", "a3"]
    assert "remove the tag by hand" in str(raised.value)


def test_a_failing_unlock_is_logged_beside_the_first_error(
    lam, tmp_path, monkeypatch, caplog
) -> None:
    ctx = fault_context(tmp_path)
    _deny_read_of(monkeypatch, "a2")
    _fail_untag(ctx.clients)
    with (
        caplog.at_level(logging.ERROR, logger="chaosrun.faults.runtime"),
        pytest.raises(ClientError, match="GetFunction"),
    ):
        apply_fault(ctx, FAULT, {"tags": {"app": "shop"}})
    assert f"could not remove the {LOCK_TAG} tag from lambda:function a2" in caplog.text


def test_a_failing_lock_leaves_no_tag_behind(lam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    a2 = lam.get_function(FunctionName="a2")["Configuration"]["FunctionArn"]

    def deny(model, params, **kwargs):
        if model.name == "TagResources":  # the batch call: per resource instead
            raise ClientError({"Error": {"Code": "AccessDeniedException"}}, model.name)
        if model.name == "TagResource" and params.get("Resource") == a2:
            raise ClientError({"Error": {"Code": "AccessDeniedException"}}, model.name)

    for service in ("resourcegroupstaggingapi", "lambda"):
        ctx.clients.client(service, REGION).meta.events.register("before-parameter-build", deny)
    with pytest.raises(ClientError, match="TagResource"):
        apply_fault(ctx, FAULT, {"tags": {"app": "shop"}})
    assert not any(_locked(lam, n) for n in NAMES)
    assert all(_reserved(lam, n) is None for n in NAMES)
