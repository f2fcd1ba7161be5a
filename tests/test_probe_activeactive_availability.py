"""activeactive.availability and serving_region read a traffic session."""

from __future__ import annotations

from datetime import UTC, datetime

from chaosrun.aws.clients import AwsClients
from chaosrun.probes.activeactive import Availability, ServingRegion
from chaosrun.probes.base import run_probe
from chaosrun.probes.traffic_generate import TrafficGenerate
from tests.test_traffic_support import ScriptedServer


def test_availability_in_the_fault_window_and_serving_region() -> None:
    with ScriptedServer(region="eu-west-1") as srv:
        start, end = srv.schedule_outage(starts_in=0.5, length=0.5)
        run_probe(
            TrafficGenerate,
            {"session": "av", "endpoints": [srv.url], "rate": 100, "duration": 1.5},
            AwsClients(),
        )
        live = run_probe(ServingRegion, {"url": srv.url, "samples": 3}, AwsClients())
    whole = run_probe(Availability, {"session": "av", "min_availability_pct": 99}, AwsClients())
    assert 40 < whole.availability_pct < 90 and whole.ok is False
    window = run_probe(
        Availability,
        {
            "session": "av",
            "since": datetime.fromtimestamp(start + 0.1, UTC),
            "until": datetime.fromtimestamp(end - 0.1, UTC),
        },
        AwsClients(),
    )
    assert window.requests > 0 and window.availability_pct == 0
    before = run_probe(Availability, {"session": "av", "end_offset_s": 0.4}, AwsClients())
    assert before.availability_pct == 100
    [m] = whole.measurements()
    assert m.unit == "%" and m.bound == 99
    assert live.region == "eu-west-1" and live.share == 1.0
    from_traffic = run_probe(
        ServingRegion, {"session": "av", "expect_region": "us-east-1"}, AwsClients()
    )
    assert from_traffic.region == "eu-west-1" and from_traffic.ok is False
