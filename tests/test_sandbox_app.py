"""The sample orders app, end to end over HTTP, in both regions and through the global endpoint."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.app import AppInfo
from chaosrun.sandbox.global_tables import GlobalTables
from tests.sandbox_helpers import eventually

pytestmark = pytest.mark.sandbox

REGIONS = ["us-east-1", "eu-west-1"]


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(regions=REGIONS, time_scale=0.02) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def app(sb: Sandbox) -> AppInfo:
    assert isinstance(sb.app, AppInfo)
    return sb.app


def http(method: str, url: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_app_info_lists_what_was_deployed(sb: Sandbox, app: AppInfo) -> None:
    assert list(app.regions) == REGIONS
    assert app.global_url == sb.context.global_endpoint
    for region, info in app.regions.items():
        assert info.url == sb.context.api_endpoints[region]
        assert {f.component for f in info.functions} == {"create-order", "get-order", "health"}
        assert info.health_check_id and info.alarms
        tags = sb.context.clients.client("lambda", region).list_tags(Resource=info.functions[0].arn)
        assert tags["Tags"]["app"] == "orders"
    assert "api.orders.sandbox" in app.summary()


def test_orders_work_in_both_regions_and_replicate(sb: Sandbox, app: AppInfo) -> None:
    for region in REGIONS:
        url = app.regions[region].url
        status, headers, created = http("POST", f"{url}/orders", {"item": "book", "quantity": 2})
        assert status == 201, created
        assert created["region"] == region and headers["X-Served-Region"] == region
        status, _, fetched = http("GET", f"{url}/orders/{created['id']}")
        assert status == 200 and fetched["quantity"] == 2
        other = app.regions[next(r for r in REGIONS if r != region)].url
        # the other region has it once replication (lag 1 s x 0.02) has run
        replica_url = f"{other}/orders/{created['id']}"
        eventually(lambda u=replica_url: http("GET", u)[0] == 200, "replicated")
        # and OrderCreated reached the region's queue through the enabled rule
        sqs = sb.context.clients.client("sqs", region)
        messages = sqs.receive_message(
            QueueUrl=app.regions[region].queue_url, MaxNumberOfMessages=10
        )
        details = [json.loads(m["Body"])["detail"] for m in messages.get("Messages", [])]
        assert created["id"] in [d["id"] for d in details]
    assert http("GET", f"{app.regions['us-east-1'].url}/orders/missing")[0] == 404


def test_global_table_is_described_with_replicas(sb: Sandbox) -> None:
    ddb = sb.context.clients.client("dynamodb", "us-east-1")
    table = ddb.describe_table(TableName="orders")["Table"]
    assert [r["RegionName"] for r in table["Replicas"]] == ["eu-west-1"]
    gt = sb.context.component("global_tables")
    assert isinstance(gt, GlobalTables) and gt.replicas("orders") == sorted(REGIONS)


def test_global_endpoint_fails_over_when_primary_health_fails(sb: Sandbox, app: AppInfo) -> None:
    url = app.global_url
    status, headers, _ = http("GET", f"{url}/health")
    assert status == 200 and headers["X-Chaosrun-Region"] == "us-east-1"
    lam = sb.context.clients.client("lambda", "us-east-1")
    lam.put_function_concurrency(FunctionName="orders-health", ReservedConcurrentExecutions=0)
    try:
        hc = app.regions["us-east-1"].health_check_id
        r53 = sb.context.clients.client("route53")
        eventually(
            lambda: r53.get_health_check_status(HealthCheckId=hc)["HealthCheckObservations"][0][
                "StatusReport"
            ]["Status"].startswith("Failure"),
            "the primary's health check sees the throttled health function",
        )
        eventually(
            lambda: http("GET", f"{url}/health")[1].get("X-Chaosrun-Region") == "eu-west-1",
            "global endpoint served by the secondary",
        )
        answer = r53.test_dns_answer(
            HostedZoneId=app.hosted_zone_id, RecordName="api.orders.sandbox", RecordType="A"
        )
        assert "eu-west-1" in answer["RecordData"][0]
    finally:
        lam.delete_function_concurrency(FunctionName="orders-health")
    eventually(
        lambda: http("GET", f"{url}/health")[1].get("X-Chaosrun-Region") == "us-east-1",
        "back on the primary",
    )


def test_partner_route_needs_the_plan_key_and_the_plan_throttle_spares_customers(
    sb: Sandbox, app: AppInfo, tmp_path: Any
) -> None:
    from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
    from chaosrun.ledger import Ledger

    url = app.regions["us-east-1"].url
    status, _, created = http("POST", f"{url}/orders", {"item": "pen", "quantity": 1})
    assert status == 201
    partner = f"{url}/partner/orders/{created['id']}"
    customer = f"{url}/orders/{created['id']}"
    assert app.partner_api_key and app.env()["CHAOSRUN_APP_PARTNER_API_KEY"] == app.partner_api_key
    keyed = {"x-api-key": app.partner_api_key}
    assert http_with(partner, {})[0] == 403
    assert http_with(partner, keyed)[0] == 200

    ctx = FaultContext(run_id=new_run_id(), clients=sb.context.clients, ledger=Ledger(tmp_path))
    apply_fault(
        ctx,
        "chaosrun.faults.apigateway.throttle_usage_plan",
        {"names": ["orders-partners"], "regions": ["us-east-1"], "rate_limit": 0, "burst_limit": 0},
    )
    assert http_with(partner, keyed)[0] == 429
    assert http("GET", customer)[0] == 200
    assert all(r.ok for _, r in restore_run(ctx.ledger, ctx.clients, ctx.run_id))
    assert http_with(partner, keyed)[0] == 200


def http_with(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
