"""Round trip of apigateway.throttle_method: only the method's own setting changes and returns."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws
from test_fault_apigw_throttle_stage import allow_method_setting_removal, make_api

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import InvalidParameters
from chaosrun.faults.apigw_throttle_method import method_setting_key
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.apigateway.throttle_method"
KEY = "~1orders~1{id}/GET"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch):
    allow_method_setting_removal(monkeypatch)
    with mock_aws():
        client = boto3.client("apigateway", region_name="eu-west-1")
        api_id = make_api(client, "shop", {"prod": {}, "beta": {}})
        client.update_stage(
            restApiId=api_id,
            stageName="beta",
            patchOperations=[
                {"op": "replace", "path": f"/{KEY}/throttling/rateLimit", "value": "40"},
                {"op": "replace", "path": f"/{KEY}/throttling/burstLimit", "value": "80"},
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000"},
            ],
        )
        yield client, api_id


def _ctx(tmp_path) -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / "l"))


def _settings(client: Any, api: str, stage: str) -> dict[str, Any]:
    return dict(client.get_stage(restApiId=api, stageName=stage).get("methodSettings") or {})


def test_setting_key_escapes_the_path() -> None:
    assert method_setting_key("/orders/{id}", "GET") == KEY
    assert method_setting_key("/", "POST") == "~1/POST"


def test_method_throttle_and_exact_restore(api, tmp_path) -> None:
    client, api_id = api
    before_beta = _settings(client, api_id, "beta")
    ctx = _ctx(tmp_path)
    args = {
        "api": "shop",
        "names": ["prod", "beta"],
        "regions": ["eu-west-1"],
        "resource_path": "/orders/{id}",
        "http_method": "get",
        "rate_limit": 1,
        "burst_limit": 1,
    }
    record = apply_fault(ctx, FAULT, args)
    assert len(record.targets) == 2
    for stage in ("prod", "beta"):
        s = _settings(client, api_id, stage)[KEY]
        assert (s["throttlingRateLimit"], s["throttlingBurstLimit"]) == (1.0, 1)
    assert "*/*" not in _settings(client, api_id, "prod")  # the stage default is untouched
    assert _settings(client, api_id, "beta")["*/*"] == before_beta["*/*"]

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    assert _settings(client, api_id, "prod") == {}
    assert _settings(client, api_id, "beta") == before_beta


def test_drift_on_the_method_is_reported(api, tmp_path) -> None:
    client, api_id = api
    ctx = _ctx(tmp_path)
    args = {"api": api_id, "names": ["beta"], "regions": ["eu-west-1"]}
    apply_fault(ctx, FAULT, {**args, "resource_path": "/orders/{id}", "http_method": "GET"})
    client.update_stage(
        restApiId=api_id,
        stageName="beta",
        patchOperations=[{"op": "replace", "path": f"/{KEY}/throttling/burstLimit", "value": "5"}],
    )
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert _settings(client, api_id, "beta")[KEY]["throttlingBurstLimit"] == 5


def test_bad_method_is_rejected(tmp_path) -> None:
    with pytest.raises(InvalidParameters, match="http_method"):
        apply_fault(
            _ctx(tmp_path),
            FAULT,
            {"api": "a", "names": ["p"], "resource_path": "/x", "http_method": "FETCH"},
        )
