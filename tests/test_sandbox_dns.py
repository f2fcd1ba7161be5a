"""TestDNSAnswer per health (failover, weighted, latency, alias) and the global endpoint."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.dns import Dns
from chaosrun.sandbox.route53_health import Route53Health
from tests.sandbox_helpers import FakeEndpoint, eventually

pytestmark = pytest.mark.sandbox

REGIONS = ["us-east-1", "eu-west-1"]
NAME = "api.orders.sandbox"


@pytest.fixture
def endpoints() -> Iterator[dict[str, FakeEndpoint]]:
    eps = {region: FakeEndpoint(body=f'{{"region": "{region}"}}'.encode()) for region in REGIONS}
    yield eps
    for ep in eps.values():
        ep.close()


@pytest.fixture
def sb(endpoints: dict[str, FakeEndpoint]) -> Iterator[Sandbox]:
    with Sandbox(
        regions=REGIONS, time_scale=0.01, deploy_app=False, components=[Route53Health, Dns]
    ) as sandbox:
        sandbox.context.api_endpoints.update({r: ep.url for r, ep in endpoints.items()})
        yield sandbox


def r53(sb: Sandbox) -> Any:
    return sb.context.clients.client("route53")


def zone(sb: Sandbox) -> str:
    created = r53(sb).create_hosted_zone(Name="orders.sandbox", CallerReference=str(uuid.uuid4()))
    return str(created["HostedZone"]["Id"])


def health_check(sb: Sandbox, ep: FakeEndpoint) -> str:
    created = r53(sb).create_health_check(
        CallerReference=str(uuid.uuid4()),
        HealthCheckConfig={
            "IPAddress": "127.0.0.1",
            "Port": ep.port,
            "Type": "HTTP",
            "ResourcePath": "/health",
            "RequestInterval": 10,
            "FailureThreshold": 2,
        },
    )
    return str(created["HealthCheck"]["Id"])


def upsert(sb: Sandbox, zone_id: str, *records: dict[str, Any]) -> None:
    r53(sb).change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": r} for r in records]},
    )


def answer(sb: Sandbox, zone_id: str, name: str = NAME, **hint: str) -> list[str]:
    out = r53(sb).test_dns_answer(HostedZoneId=zone_id, RecordName=name, RecordType="A", **hint)
    assert out["ResponseCode"] == "NOERROR"
    return list(out["RecordData"])


def failover_setup(sb: Sandbox, endpoints: dict[str, FakeEndpoint]) -> tuple[str, dict[str, str]]:
    zone_id = zone(sb)
    checks = {region: health_check(sb, ep) for region, ep in endpoints.items()}
    upsert(
        sb,
        zone_id,
        *[
            {
                "Name": NAME,
                "Type": "A",
                "SetIdentifier": region,
                "Failover": role,
                "HealthCheckId": checks[region],
                "AliasTarget": {
                    "HostedZoneId": "Z2FDTNDATAQYW2",
                    "DNSName": f"d-{region}.execute-api.{region}.amazonaws.com",
                    "EvaluateTargetHealth": False,
                },
            }
            for region, role in (("us-east-1", "PRIMARY"), ("eu-west-1", "SECONDARY"))
        ],
    )
    health = sb.context.component("route53_health")
    assert isinstance(health, Route53Health)
    for hc_id in checks.values():
        assert health.wait_for_probes(hc_id, 1)
    return zone_id, checks


def test_failover_answers_secondary_when_primary_unhealthy(
    sb: Sandbox, endpoints: dict[str, FakeEndpoint]
) -> None:
    zone_id, _ = failover_setup(sb, endpoints)
    assert answer(sb, zone_id) == ["d-us-east-1.execute-api.us-east-1.amazonaws.com"]
    endpoints["us-east-1"].status = 503
    eventually(lambda: "eu-west-1" in answer(sb, zone_id)[0], "failover to the secondary")
    # both unhealthy: Route 53 answers the primary
    endpoints["eu-west-1"].status = 503
    eventually(lambda: "us-east-1" in answer(sb, zone_id)[0], "primary when all are unhealthy")
    endpoints["us-east-1"].status = 200
    endpoints["eu-west-1"].status = 200
    eventually(lambda: "us-east-1" in answer(sb, zone_id)[0], "fail back to the primary")


def test_global_endpoint_serves_from_secondary_after_primary_fails(
    sb: Sandbox, endpoints: dict[str, FakeEndpoint]
) -> None:
    failover_setup(sb, endpoints)
    url = sb.context.global_endpoint
    assert url is not None

    def served_by() -> tuple[str | None, bytes]:
        try:
            with urllib.request.urlopen(f"{url}/orders/1", timeout=10) as resp:
                return resp.headers["X-Chaosrun-Region"], resp.read()
        except urllib.error.HTTPError as exc:
            return exc.headers["X-Chaosrun-Region"], exc.read()

    assert served_by() == ("us-east-1", b'{"region": "us-east-1"}')
    endpoints["us-east-1"].close()
    eventually(lambda: served_by()[0] == "eu-west-1", "served by the secondary")
    assert served_by()[1] == b'{"region": "eu-west-1"}'


def test_weighted_skips_unhealthy_and_is_reproducible(
    sb: Sandbox, endpoints: dict[str, FakeEndpoint]
) -> None:
    zone_id = zone(sb)
    checks = {region: health_check(sb, ep) for region, ep in endpoints.items()}
    upsert(
        sb,
        zone_id,
        *[
            {
                "Name": NAME,
                "Type": "A",
                "SetIdentifier": region,
                "Weight": weight,
                "TTL": 60,
                "HealthCheckId": checks[region],
                "ResourceRecords": [{"Value": value}],
            }
            for region, weight, value in (
                ("us-east-1", 3, "10.0.0.1"),
                ("eu-west-1", 1, "10.0.0.2"),
            )
        ],
    )
    dns = sb.context.component("dns")
    assert isinstance(dns, Dns)
    dns.seed = 7
    dns.start_rng()
    first = [answer(sb, zone_id)[0] for _ in range(40)]
    dns.start_rng()
    assert [answer(sb, zone_id)[0] for _ in range(40)] == first
    counts = Counter(first)
    assert counts["10.0.0.1"] > counts["10.0.0.2"] > 0
    endpoints["us-east-1"].status = 500
    eventually(
        lambda: not sb.context.component("route53_health").is_healthy(checks["us-east-1"]), "down"
    )  # type: ignore[attr-defined]
    assert {answer(sb, zone_id)[0] for _ in range(20)} == {"10.0.0.2"}


def test_latency_prefers_the_callers_region_while_healthy(
    sb: Sandbox, endpoints: dict[str, FakeEndpoint]
) -> None:
    zone_id = zone(sb)
    checks = {region: health_check(sb, ep) for region, ep in endpoints.items()}
    upsert(
        sb,
        zone_id,
        *[
            {
                "Name": NAME,
                "Type": "A",
                "SetIdentifier": region,
                "Region": region,
                "TTL": 60,
                "HealthCheckId": checks[region],
                "ResourceRecords": [{"Value": value}],
            }
            for region, value in (("us-east-1", "10.0.0.1"), ("eu-west-1", "10.0.0.2"))
        ],
    )
    assert answer(sb, zone_id, ResolverIP="34.240.1.1") == ["10.0.0.2"]  # an eu-west-1 resolver
    assert answer(sb, zone_id, ResolverIP="3.80.0.1") == ["10.0.0.1"]  # a us-east-1 resolver
    assert answer(sb, zone_id, ResolverIP="eu-west-1") == ["10.0.0.2"]
    endpoints["eu-west-1"].status = 500
    eventually(
        lambda: answer(sb, zone_id, ResolverIP="eu-west-1") == ["10.0.0.1"], "latency fails over"
    )


def test_alias_within_zone_and_unknown_names(sb: Sandbox) -> None:
    zone_id = zone(sb)
    upsert(
        sb,
        zone_id,
        {
            "Name": "www.orders.sandbox",
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": "10.9.9.9"}],
        },
        {
            "Name": NAME,
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": zone_id.split("/")[-1],
                "DNSName": "www.orders.sandbox",
                "EvaluateTargetHealth": True,
            },
        },
    )
    assert answer(sb, zone_id) == ["10.9.9.9"]
    missing = r53(sb).test_dns_answer(
        HostedZoneId=zone_id, RecordName="nope.orders.sandbox", RecordType="A"
    )
    assert missing["ResponseCode"] == "NXDOMAIN" and missing["RecordData"] == []
