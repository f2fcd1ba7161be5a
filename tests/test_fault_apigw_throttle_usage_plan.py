"""Round trip of apigateway.throttle_usage_plan: prior throttle restored, absent one removed."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.faults.apigw_throttle_usage_plan import PlanThrottle, ThrottleUsagePlan
from chaosrun.faults.base import RestoreStatus, Target
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.apigateway.throttle_usage_plan"


@pytest.fixture
def plans():
    with mock_aws():
        client = boto3.client("apigateway", region_name="us-east-1")
        gold = client.create_usage_plan(
            name="gold",
            throttle={"rateLimit": 100, "burstLimit": 200},
            quota={"limit": 1000, "period": "DAY"},
            tags={"tier": "paid"},
        )["id"]
        free = client.create_usage_plan(name="free", tags={"tier": "paid"})["id"]
        other = client.create_usage_plan(name="other", throttle={"rateLimit": 5, "burstLimit": 5})
        yield client, {"gold": gold, "free": free, "other": other["id"]}


def _ctx(tmp_path) -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / "l"))


def _throttle(client: Any, plan_id: str) -> dict[str, Any] | None:
    return client.get_usage_plan(usagePlanId=plan_id).get("throttle")


def test_throttle_by_tag_and_exact_restore(plans, tmp_path) -> None:
    client, ids = plans
    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"tier": "paid"}, "rate_limit": 1, "burst_limit": 1})
    assert sorted(t.target.name for t in record.targets) == ["free", "gold"]
    assert _throttle(client, ids["gold"]) == {"rateLimit": 1, "burstLimit": 1}
    assert _throttle(client, ids["free"]) == {"rateLimit": 1, "burstLimit": 1}
    assert _throttle(client, ids["other"]) == {"rateLimit": 5, "burstLimit": 5}

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    assert _throttle(client, ids["gold"]) == {"rateLimit": 100, "burstLimit": 200}
    assert _throttle(client, ids["free"]) is None  # no throttle before: none after
    assert client.get_usage_plan(usagePlanId=ids["gold"])["quota"]["limit"] == 1000


def test_by_name_and_drift(plans, tmp_path) -> None:
    client, ids = plans
    ctx = _ctx(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["other"]})
    client.update_usage_plan(
        usagePlanId=ids["other"],
        patchOperations=[{"op": "replace", "path": "/throttle/rateLimit", "value": "9"}],
    )
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert _throttle(client, ids["other"]) == {"rateLimit": 9, "burstLimit": 0}


def test_a_dropped_limit_is_removed(plans) -> None:
    _, ids = plans
    fault = ThrottleUsagePlan(
        ThrottleUsagePlan.params_model.model_validate({"names": ["gold"]}), AwsClients()
    )
    target = Target(
        arn=f"arn:aws:apigateway:us-east-1::/usageplans/{ids['gold']}",
        name="gold",
        region="us-east-1",
        kind="apigateway:usageplan",
    )
    fault.write(target, PlanThrottle(rate_limit=7), fault.read(target))
    assert fault.read(target) == PlanThrottle(rate_limit=7, burst_limit=None)
