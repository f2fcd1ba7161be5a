"""Round trip of awslambda.disable_event_source: prior Enabled states come back exactly."""

from __future__ import annotations

import boto3
import pytest
from lambda_fixtures import REGION, execution_role, fault_context, make_function
from moto import mock_aws

from chaosrun.errors import InvalidParameters
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import apply_fault, restore_run

FAULT = "chaosrun.faults.awslambda.disable_event_source"


@pytest.fixture
def world():
    with mock_aws():
        role = execution_role()
        make_function("orders", role, Tags={"app": "shop"})
        make_function("other", role)
        sqs = boto3.client("sqs", region_name=REGION)
        lam = boto3.client("lambda", region_name=REGION)
        uuids = {}
        for queue, fn, enabled in (
            ("q-live", "orders", True),
            ("q-paused", "orders", False),
            ("q-other", "other", True),
        ):
            url = sqs.create_queue(QueueName=queue)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            uuids[queue] = lam.create_event_source_mapping(
                EventSourceArn=arn, FunctionName=fn, Enabled=enabled
            )["UUID"]
        yield lam, uuids


def _enabled(lam, uuid: str) -> bool:
    return lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"


def test_disable_by_function_tag_and_restore_prior_states(world, tmp_path) -> None:
    lam, uuids = world
    ctx = fault_context(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"app": "shop"}})
    assert sorted(t.target.name for t in record.targets) == sorted(
        [uuids["q-live"], uuids["q-paused"]]
    )
    assert not _enabled(lam, uuids["q-live"]) and not _enabled(lam, uuids["q-paused"])
    assert _enabled(lam, uuids["q-other"])

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    by_uuid = {e.intent.target.name: r.status for e, r in results}
    assert by_uuid == {
        uuids["q-live"]: RestoreStatus.RESTORED,
        uuids["q-paused"]: RestoreStatus.ALREADY,  # was disabled before: stays disabled
    }
    assert _enabled(lam, uuids["q-live"])
    assert not _enabled(lam, uuids["q-paused"])


def test_select_by_uuid_and_by_source(world, tmp_path) -> None:
    lam, uuids = world
    ctx = fault_context(tmp_path)
    record = apply_fault(ctx, FAULT, {"uuids": [uuids["q-other"]]})
    assert [t.target.name for t in record.targets] == [uuids["q-other"]]
    assert not _enabled(lam, uuids["q-other"])
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert _enabled(lam, uuids["q-other"])

    source = lam.get_event_source_mapping(UUID=uuids["q-live"])["EventSourceArn"]
    ctx2 = fault_context(tmp_path, "b")
    record = apply_fault(ctx2, FAULT, {"names": ["orders"], "event_source_arns": [source]})
    assert [t.target.name for t in record.targets] == [uuids["q-live"]]


def test_drift_is_reported_not_clobbered(world, tmp_path) -> None:
    lam, uuids = world
    ctx = fault_context(tmp_path)
    # q-paused was disabled; someone enables it during the run: restore must not disable it
    apply_fault(ctx, FAULT, {"uuids": [uuids["q-live"]]})
    ctx2 = fault_context(tmp_path, "b")
    apply_fault(ctx2, FAULT, {"uuids": [uuids["q-paused"]]})
    lam.update_event_source_mapping(UUID=uuids["q-paused"], Enabled=True)
    [(_, result)] = restore_run(ctx2.ledger, ctx2.clients, ctx2.run_id)
    assert result.status is RestoreStatus.DRIFT and result.current == {"enabled": True}
    assert _enabled(lam, uuids["q-paused"])
    # q-live was enabled; someone else disabled and re-enabled it: already as before
    lam.update_event_source_mapping(UUID=uuids["q-live"], Enabled=True)
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.ALREADY


def test_deleted_mapping_is_reported_gone(world, tmp_path) -> None:
    lam, uuids = world
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"uuids": [uuids["q-live"]]})
    lam.delete_event_source_mapping(UUID=uuids["q-live"])
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.GONE


def test_lock_tag_is_set_on_the_mapping_and_removed(world, tmp_path) -> None:
    lam, uuids = world
    ctx = fault_context(tmp_path)
    record = apply_fault(ctx, FAULT, {"uuids": [uuids["q-live"]]})
    arn = record.targets[0].target.arn
    assert "chaosrun:lock" in lam.list_tags(Resource=arn)["Tags"]
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert "chaosrun:lock" not in lam.list_tags(Resource=arn)["Tags"]


def test_selectors_are_exclusive(world, tmp_path) -> None:
    with pytest.raises(InvalidParameters, match="exactly one"):
        apply_fault(fault_context(tmp_path), FAULT, {"names": ["orders"], "uuids": ["x"]})
    with pytest.raises(InvalidParameters, match="exactly one"):
        apply_fault(fault_context(tmp_path), FAULT, {})
