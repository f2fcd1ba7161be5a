"""Round trip of events.disable_rule: enabled rules come back enabled, disabled stay disabled."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import FaultConflict
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.events.disable_rule"
PATTERN = '{"source": ["shop.orders"]}'


@pytest.fixture
def rules():
    with mock_aws():
        client = boto3.client("events", region_name="us-east-1")
        client.create_event_bus(Name="shop")
        for name, state in (("placed", "ENABLED"), ("paused", "DISABLED"), ("audit", "ENABLED")):
            client.put_rule(
                Name=name,
                EventBusName="shop",
                EventPattern=PATTERN,
                State=state,
                Tags=[{"Key": "team", "Value": "shop"}] if name != "audit" else [],
            )
        client.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")
        yield client


def _ctx(tmp_path, name: str = "l") -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / name))


def _state(client: Any, name: str, bus: str = "shop") -> str:
    return str(client.describe_rule(Name=name, EventBusName=bus)["State"])


def test_disable_by_tag_and_exact_restore(rules, tmp_path) -> None:
    client = rules
    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"team": "shop"}, "event_bus_name": "shop"})
    assert sorted(t.target.name for t in record.targets) == ["paused", "placed"]
    assert _state(client, "placed") == "DISABLED"
    assert _state(client, "audit") == "ENABLED"

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    by_name = {e.intent.target.name: r.status for e, r in results}
    assert by_name == {"placed": RestoreStatus.RESTORED, "paused": RestoreStatus.ALREADY}
    assert _state(client, "placed") == "ENABLED"
    assert _state(client, "paused") == "DISABLED"  # disabled before: disabled after
    assert client.describe_rule(Name="placed", EventBusName="shop")["EventPattern"] == PATTERN
    arn = client.describe_rule(Name="placed", EventBusName="shop")["Arn"]
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "team", "Value": "shop"}
    ]


def test_default_bus_by_name_and_deleted_rule(rules, tmp_path) -> None:
    client = rules
    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"names": ["nightly"]})
    assert record.targets[0].target.arn.endswith(":rule/nightly")
    assert _state(client, "nightly", "default") == "DISABLED"
    client.delete_rule(Name="nightly")
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.GONE


def test_already_disabled_and_reenabled_by_hand(rules, tmp_path) -> None:
    client = rules
    ctx = _ctx(tmp_path)
    arn = client.describe_rule(Name="paused", EventBusName="shop")["Arn"]
    assert arn.endswith(":rule/shop/paused")
    record = apply_fault(ctx, FAULT, {"arns": [arn]})
    assert record.targets[0].before == record.targets[0].after == {"state": "DISABLED"}
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.ALREADY

    ctx = _ctx(tmp_path, "second")
    apply_fault(ctx, FAULT, {"names": ["placed"], "event_bus_name": "shop"})
    client.enable_rule(Name="placed", EventBusName="shop")
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.ALREADY  # someone already put it back


def test_lock_tag_refuses_a_second_run(rules, tmp_path) -> None:
    first = _ctx(tmp_path)
    apply_fault(first, FAULT, {"names": ["placed"], "event_bus_name": "shop"})
    other = _ctx(tmp_path, "other-machine")
    with pytest.raises(FaultConflict, match="lock tag"):
        apply_fault(other, FAULT, {"names": ["placed"], "event_bus_name": "shop"})
    restore_run(first.ledger, first.clients, first.run_id)
    apply_fault(other, FAULT, {"names": ["placed"], "event_bus_name": "shop"})
