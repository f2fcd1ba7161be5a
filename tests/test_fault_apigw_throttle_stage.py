"""Round trip of apigateway.throttle_stage: prior */* setting restored, absent setting removed."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.apigateway import models as apigw_models

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import FaultConflict, InvalidParameters
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.apigateway.throttle_stage"


def allow_method_setting_removal(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto ignores ``remove /{resource}/{method}``; AWS deletes that methodSettings entry."""
    original = apigw_models.Stage.apply_operations

    def apply(self: Any, ops: list[dict[str, Any]]) -> Any:
        rest = []
        for op in ops:
            parts = op["path"].split("/")
            if op["op"] == "remove" and len(parts) == 3 and parts[0] == "":
                self.method_settings.pop(f"{parts[1]}/{parts[2]}", None)
            else:
                rest.append(op)
        return original(self, rest)

    monkeypatch.setattr(apigw_models.Stage, "apply_operations", apply)


def make_api(client: Any, name: str, stages: dict[str, dict[str, str]]) -> str:
    api_id = client.create_rest_api(name=name)["id"]
    root = client.get_resources(restApiId=api_id)["items"][0]["id"]
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = client.create_deployment(restApiId=api_id)["id"]
    for stage, tags in stages.items():
        client.create_stage(restApiId=api_id, stageName=stage, deploymentId=deployment, tags=tags)
    return str(api_id)


@pytest.fixture
def apis(monkeypatch: pytest.MonkeyPatch):
    allow_method_setting_removal(monkeypatch)
    with mock_aws():
        client = boto3.client("apigateway", region_name="us-east-1")
        shop = make_api(client, "shop", {"prod": {"team": "shop"}, "dev": {"team": "shop"}})
        other = make_api(client, "other", {"prod": {}})
        client.update_stage(
            restApiId=shop,
            stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "500"},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "900"},
            ],
        )
        yield client, shop, other


def _ctx(tmp_path) -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / "l"))


def _settings(client: Any, api: str, stage: str) -> dict[str, Any]:
    return dict(client.get_stage(restApiId=api, stageName=stage).get("methodSettings") or {})


def test_throttle_by_tag_and_exact_restore(apis, tmp_path) -> None:
    client, shop, other = apis
    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"team": "shop"}, "rate_limit": 1, "burst_limit": 2})
    assert sorted(t.target.name for t in record.targets) == [f"{shop}/dev", f"{shop}/prod"]
    for stage in ("prod", "dev"):
        s = _settings(client, shop, stage)["*/*"]
        assert (s["throttlingRateLimit"], s["throttlingBurstLimit"]) == (1.0, 2)
    assert _settings(client, other, "prod") == {}
    assert record.targets[0].before in (
        {"present": False, "rate_limit": None, "burst_limit": None},
        {"present": True, "rate_limit": 500.0, "burst_limit": 900},
    )

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    assert _settings(client, shop, "dev") == {}  # absent before: absent after
    prod = _settings(client, shop, "prod")["*/*"]
    assert (prod["throttlingRateLimit"], prod["throttlingBurstLimit"]) == (500.0, 900)
    tags = client.get_stage(restApiId=shop, stageName="prod")["tags"]
    assert tags == {"team": "shop"}  # lock tag removed
    assert restore_run(ctx.ledger, ctx.clients, ctx.run_id) == []


def test_by_api_name_and_stage_name(apis, tmp_path) -> None:
    client, shop, other = apis
    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"api": "other", "names": ["prod"], "rate_limit": 3})
    assert [t.target.name for t in record.targets] == [f"{other}/prod"]
    assert _settings(client, other, "prod")["*/*"]["throttlingRateLimit"] == 3.0
    assert _settings(client, shop, "dev") == {}
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert _settings(client, other, "prod") == {}


def test_drift_is_reported_not_clobbered(apis, tmp_path) -> None:
    client, shop, _ = apis
    ctx = _ctx(tmp_path)
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{shop}/stages/prod"
    apply_fault(ctx, FAULT, {"arns": [arn], "rate_limit": 1, "burst_limit": 1})
    client.update_stage(
        restApiId=shop,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "77"}],
    )
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert result.current == {"present": True, "rate_limit": 77.0, "burst_limit": 1}
    assert _settings(client, shop, "prod")["*/*"]["throttlingRateLimit"] == 77.0


def test_lock_tag_refuses_a_second_run(apis, tmp_path) -> None:
    _, shop, _ = apis
    first = _ctx(tmp_path)
    apply_fault(first, FAULT, {"api": shop, "names": ["prod"]})
    other = _ctx(tmp_path / "other-machine")
    with pytest.raises(FaultConflict, match="lock tag"):
        apply_fault(other, FAULT, {"api": shop, "names": ["prod"]})
    restore_run(first.ledger, first.clients, first.run_id)
    apply_fault(other, FAULT, {"api": shop, "names": ["prod"]})


def test_names_need_an_api(tmp_path) -> None:
    with pytest.raises(InvalidParameters, match="api"):
        apply_fault(_ctx(tmp_path), FAULT, {"names": ["prod"]})
