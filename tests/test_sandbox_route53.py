"""Route 53 health checks evaluated for real, seen through GetHealthCheckStatus and CloudWatch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.route53_health import Route53Health
from tests.sandbox_helpers import FakeEndpoint, eventually

pytestmark = pytest.mark.sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(time_scale=0.01, deploy_app=False, components=[Route53Health]) as sandbox:
        yield sandbox


@pytest.fixture
def endpoint() -> Iterator[FakeEndpoint]:
    ep = FakeEndpoint(body=b'{"status": "healthy"}')
    yield ep
    ep.close()


def create_check(sb: Sandbox, ep: FakeEndpoint, **extra: Any) -> str:
    config = {
        "IPAddress": "127.0.0.1",
        "Port": ep.port,
        "Type": "HTTP",
        "ResourcePath": "/health",
        "RequestInterval": 10,
        "FailureThreshold": 3,
        **extra,
    }
    config = {k: v for k, v in config.items() if v is not None}
    r53 = sb.context.clients.client("route53")
    created = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig=config)
    return str(created["HealthCheck"]["Id"])


def statuses(sb: Sandbox, hc_id: str) -> list[str]:
    r53 = sb.context.clients.client("route53")
    observations = r53.get_health_check_status(HealthCheckId=hc_id)["HealthCheckObservations"]
    return [o["StatusReport"]["Status"] for o in observations]


def health(sb: Sandbox) -> Route53Health:
    component = sb.context.component("route53_health")
    assert isinstance(component, Route53Health)
    return component


def test_healthy_endpoint_reports_success_like_aws(sb: Sandbox, endpoint: FakeEndpoint) -> None:
    hc_id = create_check(sb, endpoint)
    assert health(sb).wait_for_probes(hc_id, 1)
    reports = statuses(sb, hc_id)
    assert len(reports) == 8  # AWS's default checker regions
    assert set(reports) == {"Success: HTTP Status Code 200, OK"}
    assert endpoint.hits >= 1
    assert health(sb).is_healthy(hc_id)


def test_turns_unhealthy_only_after_failure_threshold(sb: Sandbox, endpoint: FakeEndpoint) -> None:
    hc_id = create_check(sb, endpoint, FailureThreshold=3)
    component = health(sb)
    assert component.wait_for_probes(hc_id, 1)
    endpoint.status = 503
    # the first failed probe is reported at once, but the check stays healthy ...
    eventually(lambda: statuses(sb, hc_id)[0].startswith("Failure"), "a failed probe")
    state = component._states[hc_id]
    if state.consecutive_fail < 3:
        assert component.is_healthy(hc_id)
    # ... until FailureThreshold consecutive failures
    eventually(lambda: not component.is_healthy(hc_id), "health check unhealthy")
    assert component._states[hc_id].consecutive_fail >= 3
    assert statuses(sb, hc_id)[0].startswith("Failure: HTTP Status Code 503, Service Unavailable")
    # and healthy again after FailureThreshold successes
    endpoint.status = 200
    eventually(lambda: component.is_healthy(hc_id), "health check healthy again")
    assert component._states[hc_id].consecutive_ok >= 3


def test_stopped_server_fails_the_check(sb: Sandbox, endpoint: FakeEndpoint) -> None:
    hc_id = create_check(sb, endpoint, FailureThreshold=1)
    assert health(sb).wait_for_probes(hc_id, 1)
    endpoint.close()
    eventually(lambda: not health(sb).is_healthy(hc_id), "unhealthy after the server stopped")
    report = statuses(sb, hc_id)[0]
    assert report.startswith(("Failure: Connection refused", "Failure: Connection reset")), report


def test_inverted_flips_and_disabled_counts_healthy(sb: Sandbox, endpoint: FakeEndpoint) -> None:
    hc_id = create_check(sb, endpoint)
    component = health(sb)
    assert component.wait_for_probes(hc_id, 1)
    r53 = sb.context.clients.client("route53")
    r53.update_health_check(HealthCheckId=hc_id, Inverted=True)
    assert not component.is_healthy(hc_id)
    assert statuses(sb, hc_id)[0] == "Failure: HTTP Status Code 200, OK (inverted)"
    r53.update_health_check(HealthCheckId=hc_id, Disabled=True)
    assert component.is_healthy(hc_id)
    r53.update_health_check(HealthCheckId=hc_id, Disabled=False, Inverted=False)
    assert component.is_healthy(hc_id)


def test_string_match_and_tcp(sb: Sandbox, endpoint: FakeEndpoint) -> None:
    match = create_check(sb, endpoint, Type="HTTP_STR_MATCH", SearchString="healthy")
    miss = create_check(sb, endpoint, Type="HTTP_STR_MATCH", SearchString="nope")
    tcp = create_check(sb, endpoint, Type="TCP", ResourcePath=None)
    for hc_id in (match, miss, tcp):
        assert health(sb).wait_for_probes(hc_id, 1)
    assert statuses(sb, match)[0].startswith("Success")
    assert "Search string 'nope' not found" in statuses(sb, miss)[0]
    assert statuses(sb, tcp)[0] == "Success: TCP connection established."


def test_calculated_check_and_cloudwatch_metric(sb: Sandbox, endpoint: FakeEndpoint) -> None:
    child = create_check(sb, endpoint, FailureThreshold=1)
    r53 = sb.context.clients.client("route53")
    parent = r53.create_health_check(
        CallerReference=str(uuid.uuid4()),
        HealthCheckConfig={
            "Type": "CALCULATED",
            "ChildHealthChecks": [child],
            "HealthThreshold": 1,
        },
    )["HealthCheck"]["Id"]
    component = health(sb)
    assert component.wait_for_probes(child, 1)
    assert component.is_healthy(parent)
    endpoint.status = 500
    eventually(lambda: not component.is_healthy(parent), "calculated check unhealthy")

    cw = sb.context.clients.client("cloudwatch", "us-east-1")
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(
        Namespace="AWS/Route53",
        MetricName="HealthCheckStatus",
        Dimensions=[{"Name": "HealthCheckId", "Value": child}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Minimum", "Maximum"],
    )["Datapoints"]
    assert points and min(p["Minimum"] for p in points) == 0.0
    assert max(p["Maximum"] for p in points) == 1.0


def test_unknown_health_check_is_an_aws_error(sb: Sandbox) -> None:
    r53 = sb.context.clients.client("route53")
    with pytest.raises(r53.exceptions.NoSuchHealthCheck):
        r53.get_health_check_status(HealthCheckId="does-not-exist")
