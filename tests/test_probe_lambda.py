"""awslambda.configuration and awslambda.invoke against mock_aws."""

from __future__ import annotations

import boto3
import pytest
from lambda_fixtures import REGION, execution_role, make_function
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.probes.awslambda import configuration, invoke
from chaosrun.probes.base import run_probe
from chaosrun.probes.lambda_configuration import LambdaConfiguration
from chaosrun.probes.lambda_invoke import LambdaInvoke


@pytest.fixture
def lam():
    with mock_aws(config={"lambda": {"use_docker": False}}):
        role = execution_role("r")
        for name in ("orders", "stock"):
            make_function(name, role, Timeout=9)
        client = boto3.client("lambda", region_name=REGION)
        client.put_function_concurrency(FunctionName="stock", ReservedConcurrentExecutions=0)
        yield client


def test_configuration_reports_reserved_concurrency_or_none(lam) -> None:
    orders = run_probe(LambdaConfiguration, {"function_name": "orders"}, AwsClients())
    assert orders.reserved_concurrency is None and not orders.throttled
    assert orders.timeout == 9 and orders.function_name == "orders"
    stock = run_probe(LambdaConfiguration, {"function_name": "stock"}, AwsClients())
    assert stock.reserved_concurrency == 0 and stock.throttled
    assert configuration.probe_class is LambdaConfiguration  # type: ignore[attr-defined]


def test_invoke_reports_status_and_errors(lam) -> None:
    out = run_probe(LambdaInvoke, {"function_name": "orders", "payload": {"a": 1}}, AwsClients())
    assert out.status == 200 and out.ok and out.function_error is None and out.duration_ms > 0
    dry = run_probe(
        LambdaInvoke, {"function_name": "orders", "invocation_type": "DryRun"}, AwsClients()
    )
    assert dry.status == 204 and dry.ok
    assert invoke.probe_class is LambdaInvoke  # type: ignore[attr-defined]


class _Throttling:
    def invoke(self, **kwargs: object) -> None:
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"},
                "ResponseMetadata": {"HTTPStatusCode": 429},
            },
            "Invoke",
        )


class _Clients(AwsClients):
    def client(self, service: str, region: str | None = None) -> object:
        return _Throttling()


def test_invoke_reports_throttling() -> None:
    out = run_probe(LambdaInvoke, {"function_name": "orders"}, _Clients())
    assert out.throttled and out.status == 429 and not out.ok
    assert out.error_code == "TooManyRequestsException"
