"""route53.force_failover: health checks failed ``unreachable`` (default) or ``invert``ed, every
touched field restored exactly (absent ones stay absent), drift reported, not overwritten.

The sandbox tests show why ``unreachable`` is the default: it keeps a region failed over while
the region's own ``/health`` really fails, where an inverted check turns healthy again
``FailureThreshold`` probes later and sends traffic back to the broken region.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import FaultConflict, InvalidParameters, NoTargets
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.route53_force_failover import (
    CLOSED_PORT,
    FORCED_PATH,
    FORCED_SEARCH_STRING,
    health_check_target,
)
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger
from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.app import AppInfo
from chaosrun.sandbox.route53_health import Route53Health
from tests.sandbox_helpers import FakeEndpoint, eventually

FAULT = "chaosrun.faults.route53.force_failover"


def make_check(client: Any, region: str, inverted: bool = False, **config: Any) -> str:
    """A health check tagged ``region``; HTTPS ``/health`` unless ``config`` says otherwise
    (``None`` leaves a field out)."""
    settings = {
        "Type": "HTTPS",
        "FullyQualifiedDomainName": f"api.{region}.example.com",
        "ResourcePath": "/health",
        "Inverted": inverted,
        **config,
    }
    check_id = client.create_health_check(
        CallerReference=uuid.uuid4().hex,
        HealthCheckConfig={k: v for k, v in settings.items() if v is not None},
    )["HealthCheck"]["Id"]
    client.change_tags_for_resource(
        ResourceType="healthcheck",
        ResourceId=check_id,
        AddTags=[{"Key": "region", "Value": region}],
    )
    return str(check_id)


def config(client: Any, check_id: str) -> dict[str, Any]:
    return dict(client.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"])


def inverted(client: Any, check_id: str) -> bool:
    return bool(config(client, check_id)["Inverted"])


def tags(client: Any, check_id: str) -> dict[str, str]:
    resp = client.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check_id)
    return {t["Key"]: t["Value"] for t in resp["ResourceTagSet"]["Tags"]}


@pytest.fixture
def checks():
    with mock_aws():
        client = boto3.client("route53", region_name="us-east-1")
        east_a = make_check(client, "us-east-1")
        east_b = make_check(client, "us-east-1", inverted=True)
        west = make_check(client, "us-west-2")
        yield client, east_a, east_b, west


def _ctx(tmp_path, name: str = "l", clients: AwsClients | None = None) -> FaultContext:
    return FaultContext(
        run_id=new_run_id(), clients=clients or AwsClients(), ledger=Ledger(tmp_path / name)
    )


# -- how: unreachable (default) --------------------------------------------------------------
def test_unreachable_fails_every_endpoint_type_and_restores_every_field(checks, tmp_path) -> None:
    client, east_a, east_b, west = checks
    strmatch = make_check(
        client, "us-east-1", Type="HTTPS_STR_MATCH", SearchString="ok", ResourcePath="/h?x=1"
    )
    tcp = make_check(
        client,
        "us-east-1",
        inverted=True,
        Type="TCP",
        IPAddress="192.0.2.10",
        Port=5432,
        FullyQualifiedDomainName=None,
        ResourcePath=None,
    )
    ours = [east_a, east_b, strmatch, tcp]
    before = {c: config(client, c) for c in [*ours, west]}
    assert "ResourcePath" not in before[tcp]

    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"region": "us-east-1"}})
    assert sorted(t.target.name for t in record.targets) == sorted(ours)
    assert record.params["how"] == "unreachable"
    now = {c: config(client, c) for c in [*ours, west]}
    for c in (east_a, east_b):
        assert now[c] == {**before[c], "ResourcePath": FORCED_PATH, "Inverted": False}
    assert now[strmatch] == {
        **before[strmatch],
        "ResourcePath": FORCED_PATH,
        "SearchString": FORCED_SEARCH_STRING,
    }
    # same host, closed port; address and domain name never change
    assert now[tcp] == {**before[tcp], "Port": CLOSED_PORT, "Inverted": False}
    assert now[west] == before[west]
    assert tags(client, east_a)["chaosrun:lock"].startswith(ctx.run_id)

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {e.intent.target.name: r.status for e, r in results} == dict.fromkeys(
        ours, RestoreStatus.RESTORED
    )
    assert {c: config(client, c) for c in [*ours, west]} == before
    assert tags(client, east_a) == {"region": "us-east-1"}


def test_unreachable_drift_is_reported_not_overwritten(checks, tmp_path) -> None:
    client, east_a, east_b, _ = checks
    ctx = _ctx(tmp_path)
    apply_fault(ctx, FAULT, {"ids": [east_a, east_b]})
    client.update_health_check(HealthCheckId=east_a, ResourcePath="/healthz")  # someone else
    client.update_health_check(HealthCheckId=east_b, ResourcePath="/health", Inverted=True)
    results = {e.intent.target.name: r for e, r in restore_run(ctx.ledger, ctx.clients, ctx.run_id)}
    assert results[east_a].status is RestoreStatus.DRIFT
    assert results[east_a].current["endpoint"]["resource_path"] == "/healthz"
    assert config(client, east_a)["ResourcePath"] == "/healthz"  # left as is
    assert "chaosrun:lock" in tags(client, east_a)  # held until resolved
    assert results[east_b].status is RestoreStatus.ALREADY  # put back by hand


def test_unreachable_refuses_checks_without_an_endpoint(checks, tmp_path) -> None:
    client, east_a, _, _ = checks
    calculated = make_check(
        client,
        "us-east-1",
        Type="CALCULATED",
        ChildHealthChecks=[east_a],
        HealthThreshold=1,
        FullyQualifiedDomainName=None,
        ResourcePath=None,
    )
    before = config(client, east_a)
    for selection in ({"ids": [calculated]}, {"tags": {"region": "us-east-1"}}):
        with pytest.raises(InvalidParameters, match=f"{calculated} is CALCULATED.*how: invert"):
            apply_fault(_ctx(tmp_path), FAULT, selection)
    # refused before anything changed: not even the endpoint checks selected with it
    assert config(client, east_a) == before
    assert "chaosrun:lock" not in tags(client, east_a)
    assert "chaosrun:lock" not in tags(client, calculated)

    ctx = _ctx(tmp_path, "invert")
    apply_fault(ctx, FAULT, {"ids": [calculated], "how": "invert"})  # knowingly
    assert inverted(client, calculated)
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert not inverted(client, calculated)


# -- how: invert ------------------------------------------------------------------------------
def test_invert_by_tag_and_exact_restore(checks, tmp_path) -> None:
    client, east_a, east_b, west = checks
    ctx = _ctx(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"region": "us-east-1"}, "how": "invert"})
    assert sorted(t.target.name for t in record.targets) == sorted([east_a, east_b])
    assert inverted(client, east_a) and inverted(client, east_b)
    assert config(client, east_a)["ResourcePath"] == "/health"  # nothing else touched
    assert not inverted(client, west)
    assert tags(client, east_a)["chaosrun:lock"].startswith(ctx.run_id)

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    by_id = {e.intent.target.name: r.status for e, r in results}
    assert by_id == {east_a: RestoreStatus.RESTORED, east_b: RestoreStatus.ALREADY}
    assert not inverted(client, east_a)
    assert inverted(client, east_b)  # inverted before: inverted after
    assert tags(client, east_a) == {"region": "us-east-1"}


def test_invert_tracks_only_inverted(checks, tmp_path) -> None:
    client, east_a, _, _ = checks
    ctx = _ctx(tmp_path)
    apply_fault(ctx, FAULT, {"ids": [east_a], "how": "invert"})
    client.update_health_check(HealthCheckId=east_a, ResourcePath="/healthz")  # not ours
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.RESTORED
    assert config(client, east_a)["ResourcePath"] == "/healthz"
    assert not inverted(client, east_a)


def test_by_id_put_back_by_hand_is_already(checks, tmp_path) -> None:
    client, east_a, _, _ = checks
    ctx = _ctx(tmp_path)
    apply_fault(ctx, FAULT, {"ids": [east_a], "how": "invert"})
    client.update_health_check(HealthCheckId=east_a, Inverted=False)
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.ALREADY  # put back by hand already


def test_a_ledger_from_before_how_restores_as_invert(checks, tmp_path) -> None:
    """Entries written when the fault could only invert: params without ``how``, state
    ``{inverted}``; after an upgrade ``chaosrun rollback`` must still restore them."""
    client, east_a, _, _ = checks
    ctx = _ctx(tmp_path)
    ctx.ledger.begin(ctx.run_id)
    target = health_check_target(east_a, "us-east-1")
    ctx.ledger.intent(
        ctx.run_id,
        entry_id="e1",
        group="g",
        fault=FAULT,
        params={"ids": [east_a]},
        target=target,
        before={"inverted": False},
        after={"inverted": True},
    )
    client.update_health_check(HealthCheckId=east_a, Inverted=True)
    ctx.ledger.applied(ctx.run_id, "e1")
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.RESTORED, result.detail
    assert config(client, east_a)["ResourcePath"] == "/health"
    assert not inverted(client, east_a)


def test_unknown_id_and_lock(checks, tmp_path) -> None:
    _, east_a, _, _ = checks
    with pytest.raises(NoTargets, match="does not exist"):
        apply_fault(_ctx(tmp_path), FAULT, {"ids": ["nope"]})
    with pytest.raises(InvalidParameters, match="how"):
        apply_fault(_ctx(tmp_path), FAULT, {"ids": [east_a], "how": "disable"})
    first = _ctx(tmp_path)
    apply_fault(first, FAULT, {"ids": [east_a]})
    other = _ctx(tmp_path, "other-machine")
    with pytest.raises(FaultConflict, match="lock tag"):
        apply_fault(other, FAULT, {"ids": [east_a], "how": "invert"})


# -- against the sandbox's health checkers ----------------------------------------------------
@pytest.fixture
def checkers() -> Iterator[Sandbox]:
    with Sandbox(time_scale=0.01, deploy_app=False, components=[Route53Health]) as sandbox:
        yield sandbox


@pytest.mark.sandbox
def test_absent_resource_path_stays_absent_and_tcp_fails(checkers: Sandbox, tmp_path) -> None:
    ep = FakeEndpoint()
    try:
        r53 = checkers.context.clients.client("route53")
        common = {"IPAddress": "127.0.0.1", "Port": ep.port, "RequestInterval": 10}
        ids = [
            r53.create_health_check(
                CallerReference=uuid.uuid4().hex,
                HealthCheckConfig={**common, "Type": kind, "FailureThreshold": 1},
            )["HealthCheck"]["Id"]
            for kind in ("HTTP", "TCP")
        ]
        http_check, tcp = ids
        before = {c: config(r53, c) for c in ids}
        assert "ResourcePath" not in before[http_check]  # probes "/"
        component = checkers.context.component("route53_health")
        assert isinstance(component, Route53Health)

        ctx = _ctx(tmp_path, clients=checkers.clients())
        apply_fault(ctx, FAULT, {"ids": ids})
        assert config(r53, http_check)["ResourcePath"] == FORCED_PATH
        assert config(r53, tcp)["Port"] == CLOSED_PORT
        eventually(lambda: not component.is_healthy(tcp), "TCP check on the closed port fails")

        results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
        assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
        # ResourcePath cleared with ResetElements, not set to "/"
        assert {c: config(r53, c) for c in ids} == before
        eventually(lambda: component.is_healthy(tcp), "TCP check healthy after restore")
    finally:
        ep.close()


@pytest.fixture
def app_sandbox() -> Iterator[tuple[Sandbox, AppInfo]]:
    # health checks every 10 s x 0.02, FailureThreshold 3: the flip-back window is 0.6 s
    with Sandbox(regions=["us-east-1", "eu-west-1"], time_scale=0.02) as sandbox:
        assert isinstance(sandbox.app, AppInfo)
        yield sandbox, sandbox.app


def served_by(url: str) -> tuple[str | None, int]:
    """(region from X-Chaosrun-Region, status) of GET ``url`` through the global endpoint."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.headers.get("X-Chaosrun-Region"), resp.status
    except urllib.error.HTTPError as exc:
        return exc.headers.get("X-Chaosrun-Region"), exc.code


THROTTLE = {"tags": {"app": "orders"}, "regions": ["us-east-1"], "reserved_concurrency": 0}


@pytest.mark.sandbox
def test_unreachable_keeps_a_really_broken_region_failed_over(
    app_sandbox: tuple[Sandbox, AppInfo], tmp_path
) -> None:
    sb, app = app_sandbox
    hc = str(app.regions["us-east-1"].health_check_id)
    health_url = f"{app.global_url}/health"
    r53 = sb.context.clients.client("route53")
    component = sb.context.component("route53_health")
    assert isinstance(component, Route53Health)
    before = config(r53, hc)
    assert served_by(health_url) == ("us-east-1", 200)

    ctx = _ctx(tmp_path, clients=sb.clients())
    apply_fault(ctx, "chaosrun.faults.awslambda.throttle", THROTTLE)  # /health really fails
    apply_fault(ctx, FAULT, {"ids": [hc]})
    assert served_by(f"{app.regions['us-east-1'].url}/health")[1] == 429
    eventually(lambda: served_by(health_url) == ("eu-west-1", 200), "failed over to eu-west-1")
    # an unknown path is API Gateway's 403 "Missing Authentication Token": a failure
    status = r53.get_health_check_status(HealthCheckId=hc)["HealthCheckObservations"][0]
    assert status["StatusReport"]["Status"].startswith("Failure: HTTP Status Code 403")
    # far beyond FailureThreshold x RequestInterval: still failed over after every probe
    for _ in range(3 * int(before["FailureThreshold"])):
        assert component.wait_for_probes(hc, 1)
        assert not component.is_healthy(hc)
        assert served_by(health_url) == ("eu-west-1", 200)

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    assert config(r53, hc) == before
    eventually(lambda: served_by(health_url) == ("us-east-1", 200), "back on us-east-1")


@pytest.mark.sandbox
def test_invert_sends_traffic_back_to_a_really_broken_region(
    app_sandbox: tuple[Sandbox, AppInfo], tmp_path
) -> None:
    """The trap ``how: invert`` sets when the region really fails (why it is not the default)."""
    sb, app = app_sandbox
    hc = str(app.regions["us-east-1"].health_check_id)
    health_url = f"{app.global_url}/health"
    ctx = _ctx(tmp_path, clients=sb.clients())
    apply_fault(ctx, FAULT, {"ids": [hc], "how": "invert"})
    assert served_by(health_url) == ("eu-west-1", 200)  # at once
    apply_fault(ctx, "chaosrun.faults.awslambda.throttle", THROTTLE)
    # FailureThreshold failed probes later the inverted check is healthy: back to the dead region
    eventually(lambda: served_by(health_url) == ("us-east-1", 429), "traffic back on us-east-1")

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    eventually(lambda: served_by(health_url) == ("us-east-1", 200), "us-east-1 healthy again")
