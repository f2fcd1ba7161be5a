"""Round trip of awslambda.inject_failure: the SSM parameter, the layer and the variables."""

from __future__ import annotations

import json

import boto3
import pytest
from lambda_fixtures import REGION, execution_role, fault_context, handler_zip, make_function
from moto import mock_aws

from chaosrun.errors import InvalidParameters
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.failure_lambda_config import FailureConfig
from chaosrun.faults.runtime import apply_fault, restore_run

FAULT = "chaosrun.faults.awslambda.inject_failure"
V0_DISABLED = json.dumps({"isEnabled": False, "failureMode": "latency", "rate": 1})


@pytest.fixture
def world():
    with mock_aws():
        lam = boto3.client("lambda", region_name=REGION)
        ssm = boto3.client("ssm", region_name=REGION)
        layers = {
            name: lam.publish_layer_version(LayerName=name, Content={"ZipFile": handler_zip()})[
                "LayerVersionArn"
            ]
            for name in ("failure-lambda", "powertools")
        }
        role = execution_role()
        env = {"Variables": {"FAILURE_INJECTION_PARAM": "/orders/failure", "STAGE": "prod"}}
        make_function("orders", role, Environment=env, Tags={"app": "shop"})
        make_function(
            "stock",
            role,
            Environment={"Variables": {"FAILURE_INJECTION_PARAM": "/stock/failure"}},
            Tags={"app": "shop"},
        )
        make_function(
            "plain",
            role,
            Environment={"Variables": {"STAGE": "prod"}},
            Layers=[layers["powertools"]],
        )
        ssm.put_parameter(Name="/stock/failure", Value=V0_DISABLED, Type="String")
        yield lam, ssm, layers


def _param(ssm, name: str) -> str | None:
    try:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def _fn(lam, name: str) -> tuple[list[str], dict[str, str]]:
    config = lam.get_function_configuration(FunctionName=name)
    return (
        [x["Arn"] for x in config.get("Layers", [])],
        config.get("Environment", {}).get("Variables", {}),
    )


def test_parameter_created_then_deleted_and_existing_one_restored_exactly(world, tmp_path) -> None:
    _, ssm, _ = world
    ctx = fault_context(tmp_path)
    args = {"tags": {"app": "shop"}, "mode": "latency", "max_latency_ms": 800, "rate": 0.5}
    apply_fault(ctx, FAULT, args)

    created = FailureConfig.parse(_param(ssm, "/orders/failure") or "")
    assert created.source_format == "1.x"  # nothing there before: the current format
    assert created.active_modes() == ["latency"]
    assert created.latency is not None and created.latency.max_ms == 800
    assert created.latency.rate == 0.5
    overwritten = json.loads(_param(ssm, "/stock/failure") or "")
    assert overwritten == {  # keeps the 0.x format the function's library reads
        "isEnabled": True,
        "failureMode": "latency",
        "rate": 0.5,
        "minLatency": 800,
        "maxLatency": 800,
    }

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    assert _param(ssm, "/orders/failure") is None  # absent before: deleted
    assert _param(ssm, "/stock/failure") == V0_DISABLED  # exact prior text


def test_layer_and_environment_restored_without_touching_the_rest(world, tmp_path) -> None:
    lam, ssm, layers = world
    ctx = fault_context(tmp_path)
    apply_fault(
        ctx,
        FAULT,
        {
            "names": ["plain"],
            "mode": "statuscode",
            "status_code": 503,
            "attach_layer": layers["failure-lambda"],
            "set_environment": {
                "FAILURE_INJECTION_PARAM": "/plain/failure",
                "AWS_LAMBDA_EXEC_WRAPPER": "/opt/failure-lambda-wrapper",
                "STAGE": "chaos",
            },
        },
    )
    fn_layers, env = _fn(lam, "plain")
    assert fn_layers == [layers["powertools"], layers["failure-lambda"]]
    assert env == {
        "STAGE": "chaos",
        "FAILURE_INJECTION_PARAM": "/plain/failure",
        "AWS_LAMBDA_EXEC_WRAPPER": "/opt/failure-lambda-wrapper",
    }
    cfg = FailureConfig.parse(_param(ssm, "/plain/failure") or "")
    assert cfg.statuscode is not None and cfg.statuscode.status_code == 503

    # someone adds an unrelated variable meanwhile: not part of the state, kept
    lam.update_function_configuration(
        FunctionName="plain", Environment={"Variables": {**env, "DEBUG": "1"}}
    )
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.RESTORED
    fn_layers, env = _fn(lam, "plain")
    assert fn_layers == [layers["powertools"]]
    assert env == {"STAGE": "prod", "DEBUG": "1"}
    assert _param(ssm, "/plain/failure") is None


def test_edited_parameter_is_drift(world, tmp_path) -> None:
    _, ssm, _ = world
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["stock"], "mode": "exception", "format": "1.x"})
    assert json.loads(_param(ssm, "/stock/failure") or "")["exception"]["enabled"] is True
    ssm.put_parameter(Name="/stock/failure", Value="{}", Type="String", Overwrite=True)
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert result.current is not None and result.current["parameter"]["value"] == "{}"
    assert _param(ssm, "/stock/failure") == "{}"


def test_parameters_are_checked(world, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    with pytest.raises(InvalidParameters, match="max_latency_ms"):
        apply_fault(ctx, FAULT, {"names": ["orders"], "mode": "latency"})
    with pytest.raises(InvalidParameters, match="denylist"):
        apply_fault(ctx, FAULT, {"names": ["orders"], "mode": "denylist"})
    with pytest.raises(InvalidParameters, match="FAILURE_INJECTION_PARAM"):
        apply_fault(ctx, FAULT, {"names": ["plain"], "mode": "exception"})
    assert not ctx.ledger.runs() or not any(r.pending for r in ctx.ledger.runs())
