"""activeactive.replication_lag: write in one region, time the read in the others."""

from __future__ import annotations

import threading

from chaosrun.aws.clients import AwsClients
from chaosrun.probes.activeactive import ActiveActiveReplicationLag
from chaosrun.probes.base import run_probe
from tests.test_traffic_support import ScriptedServer


def test_lag_per_region_and_a_region_that_never_catches_up() -> None:
    eu_orders: dict[str, dict[str, object]] = {}
    delay = 0.2

    def replicate(body: dict[str, object]) -> bool:
        threading.Timer(delay, eu_orders.__setitem__, (str(body["id"]), body)).start()
        return False

    with (
        ScriptedServer(region="us-east-1", lose_write=replicate) as us,
        ScriptedServer(region="eu-west-1", orders=eu_orders) as eu,
        ScriptedServer(region="ap-south-1") as ap,
    ):
        out = run_probe(
            ActiveActiveReplicationLag,
            {
                "write_url": us.url + "/orders",
                "read_urls": {
                    "us-east-1": us.url + "/orders/{id}",
                    "eu-west-1": eu.url + "/orders/{id}",
                    "ap-south-1": ap.url + "/orders/{id}",
                },
                "samples": 2,
                "wait_s": 1.0,
                "max_lag_ms": 5000,
            },
            AwsClients(),
        )
    assert out.source == "us-east-1"
    assert out.regions["us-east-1"].replicated == 2
    assert out.regions["eu-west-1"].lag_ms >= delay * 1000  # never seen before it was copied
    assert out.regions["ap-south-1"].lag_ms is None and out.regions["ap-south-1"].replicated == 0
    assert out.max_lag_ms is None and out.ok is False
    assert {m.name for m in out.measurements()} >= {"replication lag eu-west-1"}
