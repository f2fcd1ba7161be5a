"""Lambda and API Gateway metrics, read back through CloudWatch's API."""

from __future__ import annotations

import datetime as dt

import pytest

from chaosrun.sandbox import Sandbox, metrics
from tests.sandbox_helpers import client, http, invoke, make_function, make_proxy_api

pytestmark = pytest.mark.sandbox


def _sum(sb: Sandbox, namespace: str, name: str, dims: dict[str, str], stat: str = "Sum") -> float:
    now = dt.datetime.now(dt.UTC)
    resp = client(sb, "cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=1),
        Period=60,
        Statistics=[stat],
    )
    return sum(p[stat] for p in resp["Datapoints"])


def test_lambda_and_api_metrics_are_published() -> None:
    with Sandbox(deploy_app=False) as sb:
        src = (
            "def handler(e, c):\n    if e.get('fail'):\n        raise ValueError()\n    return {}\n"
        )
        arn = make_function(sb, "m", src)
        invoke(sb, "m")
        invoke(sb, "m", {"fail": True})
        client(sb, "lambda").put_function_concurrency(
            FunctionName="m", ReservedConcurrentExecutions=0
        )
        with pytest.raises(Exception, match="TooManyRequests"):
            invoke(sb, "m")
        dims = {"FunctionName": "m"}
        assert _sum(sb, "AWS/Lambda", "Invocations", dims) == 2
        assert _sum(sb, "AWS/Lambda", "Errors", dims) == 1
        assert _sum(sb, "AWS/Lambda", "Throttles", dims) == 1
        assert _sum(sb, "AWS/Lambda", "Duration", dims, "SampleCount") == 2

        api_id = make_proxy_api(sb, "metered", arn)
        url = f"{sb.context.api_endpoints['us-east-1']}/restapis/{api_id}/prod/_user_request_/x"
        assert http("GET", url)[0] == 429  # still throttled
        client(sb, "lambda").delete_function_concurrency(FunctionName="m")
        assert http("GET", url)[0] == 200
        api_dims = {"ApiName": "metered", "Stage": "prod"}
        assert _sum(sb, "AWS/ApiGateway", "Count", api_dims) == 2
        assert _sum(sb, "AWS/ApiGateway", "4XXError", api_dims) == 1
        assert _sum(sb, "AWS/ApiGateway", "5XXError", api_dims) == 0
        assert _sum(sb, "AWS/ApiGateway", "Latency", api_dims, "SampleCount") == 2

        # the helper the alarm evaluator uses sees the same data, with second resolution
        now = dt.datetime.now(dt.UTC)
        start = now - dt.timedelta(seconds=60)
        end = now + dt.timedelta(seconds=1)
        errs = metrics.statistic("us-east-1", "AWS/Lambda", "Errors", dims, "Sum", start, end)
        assert errs == 1
        assert metrics.statistic("us-east-1", "AWS/Lambda", "Nope", dims, "Sum", start, end) is None
