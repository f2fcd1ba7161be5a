"""region.impair: every part injected in the region only (health checks failed ``unreachable``),
and restore_run undoes all of it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from lambda_fixtures import execution_role, fault_context, make_function
from moto import mock_aws
from test_fault_dynamodb_pause_replication import EXISTING, make_table, policy
from test_fault_route53_force_failover import config, make_check

from chaosrun.errors import InvalidParameters
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.route53_force_failover import FORCED_PATH
from chaosrun.faults.runtime import apply_fault, restore_run

FAULT = "chaosrun.faults.region.impair"


@pytest.fixture
def world():
    with mock_aws():
        role = execution_role("r")
        lambdas: dict[str, Any] = {}
        tables: dict[str, tuple[Any, str]] = {}
        for region in ("us-east-1", "us-west-2"):
            lam = boto3.client("lambda", region_name=region)
            for name in ("orders", "stock"):
                make_function(name, role, region=region, Tags={"app": "shop"})
            lam.put_function_concurrency(FunctionName="stock", ReservedConcurrentExecutions=20)
            lambdas[region] = lam
            ddb = boto3.client("dynamodb", region_name=region)
            tables[region] = (ddb, make_table(ddb, "orders", {"app": "shop"}))
        ddb, arn = tables["us-east-1"]
        ddb.put_resource_policy(
            ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [EXISTING]})
        )
        r53 = boto3.client("route53", region_name="us-east-1")
        checks = {
            "east": make_check(r53, "us-east-1"),
            "east-inverted": make_check(r53, "us-east-1", inverted=True),
            "west": make_check(r53, "us-west-2"),
        }
        yield lambdas, tables, r53, checks


def _snapshot(world: Any) -> dict[str, Any]:
    lambdas, tables, r53, checks = world
    return {
        "concurrency": {
            (region, name): lam.get_function_concurrency(FunctionName=name).get(
                "ReservedConcurrentExecutions"
            )
            for region, lam in lambdas.items()
            for name in ("orders", "stock")
        },
        "policies": {region: policy(ddb, arn) for region, (ddb, arn) in tables.items()},
        "health_checks": {k: config(r53, v) for k, v in checks.items()},
    }


ARGS = {
    "region": "us-east-1",
    "functions": {"tags": {"app": "shop"}},
    "tables": {"names": ["orders"]},
    "health_checks": {"tags": {"region": "us-east-1"}},
}


def test_impair_then_restore_leaves_everything_as_before(world, tmp_path) -> None:
    lambdas, tables, r53, checks = world
    before = _snapshot(world)
    ctx = fault_context(tmp_path, "l")
    record = apply_fault(ctx, FAULT, ARGS)
    assert len(record.targets) == 2 + 1 + 2  # functions, table, health checks

    east = lambdas["us-east-1"]
    assert east.get_function_concurrency(FunctionName="orders")["ReservedConcurrentExecutions"] == 0
    assert east.get_function_concurrency(FunctionName="stock")["ReservedConcurrentExecutions"] == 0
    ddb, arn = tables["us-east-1"]
    sids = [s["Sid"] for s in policy(ddb, arn)["Statement"]]
    assert sids[0] == EXISTING["Sid"] and sids[1].startswith("ChaosrunDenyAccess")
    # the region's health checks fail whatever its endpoints do: unreachable, not inverted
    for name in ("east", "east-inverted"):
        hc = config(r53, checks[name])
        assert (hc["ResourcePath"], hc["Inverted"]) == (FORCED_PATH, False)
    assert record.params["health_checks"] == {"tags": {"region": "us-east-1"}}
    # the other region is untouched
    assert _snapshot(world)["concurrency"][("us-west-2", "stock")] == 20
    assert _snapshot(world)["policies"]["us-west-2"] is None
    assert _snapshot(world)["health_checks"]["west"] == before["health_checks"]["west"]
    # one ledger group: restored as one unit
    pending = ctx.ledger.load(ctx.run_id).pending
    assert len({e.intent.group for e in pending}) == 1
    assert {e.intent.params.get("how") for e in pending if "route53" in e.intent.fault} == {
        "unreachable"
    }

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert all(r.ok for _, r in results)
    assert RestoreStatus.RESTORED in {r.status for _, r in results}
    assert len(results) == 5
    assert _snapshot(world) == before
    assert not ctx.ledger.load(ctx.run_id).pending


def test_needs_a_part(tmp_path) -> None:
    ctx = fault_context(tmp_path, "l")
    with pytest.raises(InvalidParameters, match="at least one"):
        apply_fault(ctx, FAULT, {"region": "us-east-1"})
    with pytest.raises(InvalidParameters, match="exactly one"):
        apply_fault(ctx, FAULT, {"region": "us-east-1", "tables": {}})
    # inverting would flip back once the region's own /health fails: not offered
    with pytest.raises(InvalidParameters, match="how"):
        apply_fault(
            ctx, FAULT, {"region": "us-east-1", "health_checks": {"ids": ["x"], "how": "invert"}}
        )
