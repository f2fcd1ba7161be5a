"""API Gateway proxy endpoints, driven over plain HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chaosrun.sandbox import Sandbox
from tests.sandbox_helpers import client, http, make_function, make_proxy_api

pytestmark = pytest.mark.sandbox

ECHO = """
import json

def handler(event, context):
    if event["path"] == "/boom":
        raise RuntimeError("boom")
    if event["path"] == "/bad":
        return "not a proxy response"
    if event["path"] == "/slow":
        import time
        time.sleep(3)
    return {
        "statusCode": 201,
        "headers": {"X-Handled-By": context.function_name},
        "body": json.dumps({
            "path": event["path"],
            "method": event["httpMethod"],
            "proxy": (event["pathParameters"] or {}).get("proxy"),
            "query": event["queryStringParameters"],
            "body": event["body"],
            "stage": event["requestContext"]["stage"],
        }),
    }
"""


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(regions=["us-east-1", "eu-west-1"], deploy_app=False) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> str:
    arn = make_function(sb, "echo", ECHO, timeout=1)
    api_id = make_proxy_api(sb, "orders-api", arn)
    return f"{sb.context.api_endpoints['us-east-1']}/restapis/{api_id}/prod/_user_request_"


def test_every_region_has_an_endpoint(sb: Sandbox) -> None:
    assert set(sb.context.api_endpoints) == {"us-east-1", "eu-west-1"}


def test_proxy_integration_runs_the_handler(api: str) -> None:
    status, headers, body = http("POST", f"{api}/orders/42?x=1", b'{"qty": 2}')
    assert status == 201
    assert headers["X-Handled-By"] == "echo"
    assert body == {
        "path": "/orders/42",
        "method": "POST",
        "proxy": "orders/42",
        "query": {"x": "1"},
        "body": '{"qty": 2}',
        "stage": "prod",
    }


def test_function_errors_map_to_502_and_timeouts_to_504(api: str) -> None:
    assert http("GET", f"{api}/boom")[:3:2] == (502, {"message": "Internal server error"})
    assert http("GET", f"{api}/bad")[0] == 502
    assert http("GET", f"{api}/slow")[0] == 504


def test_unknown_stage_is_forbidden(sb: Sandbox, api: str) -> None:
    assert http("GET", api.replace("/prod/", "/nope/") + "/x")[0] == 403


def test_reserved_concurrency_zero_gives_429(sb: Sandbox) -> None:
    arn = make_function(sb, "throttled-api", "def handler(e, c):\n    return {'statusCode': 200}\n")
    api_id = make_proxy_api(sb, "throttled", arn)
    url = f"{sb.context.api_endpoints['us-east-1']}/restapis/{api_id}/prod/_user_request_/x"
    assert http("GET", url)[0] == 200
    client(sb, "lambda").put_function_concurrency(
        FunctionName="throttled-api", ReservedConcurrentExecutions=0
    )
    status, _, body = http("GET", url)
    assert (status, body) == (429, {"message": "Too Many Requests"})


def test_stage_throttling_limits_requests(sb: Sandbox) -> None:
    arn = make_function(sb, "limited", "def handler(e, c):\n    return {'statusCode': 200}\n")
    api_id = make_proxy_api(sb, "limited", arn)
    url = f"{sb.context.api_endpoints['us-east-1']}/restapis/{api_id}/prod/_user_request_/x"
    client(sb, "apigateway").update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        ],
    )
    statuses = [http("GET", url)[0] for _ in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_missing_invoke_permission_is_500(sb: Sandbox) -> None:
    arn = make_function(sb, "unpermitted", "def handler(e, c):\n    return {'statusCode': 200}\n")
    api_id = make_proxy_api(sb, "unpermitted", arn, permit=False)
    url = f"{sb.context.api_endpoints['us-east-1']}/restapis/{api_id}/prod/_user_request_/x"
    assert http("GET", url)[:3:2] == (500, {"message": "Internal server error"})


def test_custom_domain_and_base_path_mapping(sb: Sandbox) -> None:
    region = "eu-west-1"
    arn = make_function(sb, "regional", ECHO, region=region)
    api_id = make_proxy_api(sb, "regional", arn, region=region)
    apigw = client(sb, "apigateway", region)
    apigw.create_domain_name(
        domainName="api.example.com", regionalCertificateArn="arn:aws:acm:eu-west-1:1:c/x"
    )
    apigw.create_base_path_mapping(
        domainName="api.example.com", restApiId=api_id, stage="prod", basePath="v1"
    )
    base = sb.context.api_endpoints[region]
    status, _, body = http("GET", f"{base}/v1/orders", headers={"Host": "api.example.com"})
    assert status == 201
    assert json.loads(json.dumps(body))["path"] == "/orders"
    # the only domain of the region also answers without a Host header naming it
    assert http("GET", f"{base}/v1/orders")[0] == 201
    assert http("GET", f"{base}/v2/orders")[0] == 403


def test_api_keys_and_usage_plan_throttle(sb: Sandbox) -> None:
    """Key-required methods: 403 without a valid key of a plan on the stage; the plan's throttle
    (or its per-method override) applies per key; keyless methods are never throttled by it."""
    arn = make_function(sb, "keyed", "def handler(e, c):\n    return {'statusCode': 200}\n")
    api_id = make_proxy_api(sb, "keyed", arn, api_key_required=True)
    apigw = client(sb, "apigateway")
    url = f"{sb.context.api_endpoints['us-east-1']}/restapis/{api_id}/prod/_user_request_/x"
    key = apigw.create_api_key(name="partner", value="k" * 30, enabled=True)
    disabled = apigw.create_api_key(name="off", value="d" * 30, enabled=False)
    plan = apigw.create_usage_plan(
        name="keyed-plan",
        apiStages=[{"apiId": api_id, "stage": "prod"}],
        throttle={"rateLimit": 0.0, "burstLimit": 2},
    )
    for k in (key, disabled):
        apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=k["id"], keyType="API_KEY")
    assert http("GET", url)[0] == 403
    assert http("GET", url, headers={"x-api-key": "wrong"})[0] == 403
    assert http("GET", url, headers={"x-api-key": "d" * 30})[0] == 403
    statuses = [http("GET", url, headers={"x-api-key": "k" * 30})[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
    # a per-method override in the plan's stage entry wins over the plan's throttle (moto
    # cannot patch one in, so a second plan declares it at creation)
    other = apigw.create_api_key(name="other", value="o" * 30, enabled=True)
    overridden = apigw.create_usage_plan(
        name="keyed-override",
        apiStages=[
            {
                "apiId": api_id,
                "stage": "prod",
                "throttle": {"/{proxy+}/ANY": {"rateLimit": 0.0, "burstLimit": 1}},
            }
        ],
        throttle={"rateLimit": 1000.0, "burstLimit": 1000},
    )
    apigw.create_usage_plan_key(usagePlanId=overridden["id"], keyId=other["id"], keyType="API_KEY")
    assert [http("GET", url, headers={"x-api-key": "o" * 30})[0] for _ in range(2)] == [200, 429]
    # the root method requires no key: the plan never throttles it
    root = url.rsplit("/", 1)[0] + "/"
    assert [http("GET", root)[0] for _ in range(3)] == [200, 200, 200]
    # a key outside any plan covering the stage is refused too
    lone = apigw.create_api_key(name="lone", value="l" * 30, enabled=True)
    assert lone["id"] and http("GET", url, headers={"x-api-key": "l" * 30})[0] == 403
