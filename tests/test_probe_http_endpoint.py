"""http.endpoint: status, latency, body excerpt and headers of interest."""

from __future__ import annotations

import pytest

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import InvalidParameters
from chaosrun.probes.base import run_probe
from chaosrun.probes.http import endpoint
from chaosrun.probes.http_endpoint import HttpEndpoint
from tests.test_traffic_support import ScriptedServer


def test_get_post_and_expect_status() -> None:
    with ScriptedServer(region="eu-west-1") as srv:
        out = run_probe(HttpEndpoint, {"url": srv.url + "/"}, AwsClients())
        assert out.status == 200 and out.ok and out.region == "eu-west-1"
        assert out.headers == {"X-Chaosrun-Region": "eu-west-1"}
        assert '"ok"' in out.body and out.latency_ms > 0
        posted = run_probe(
            HttpEndpoint,
            {"url": srv.url + "/orders", "method": "POST", "json": {"id": "o1"}},
            AwsClients(),
        )
        assert posted.status == 201 and "o1" in srv.orders
        missing = run_probe(
            HttpEndpoint, {"url": srv.url + "/orders/nope", "expect_status": [200]}, AwsClients()
        )
        assert missing.status == 404 and not missing.ok
        srv.down = True
        down = run_probe(HttpEndpoint, {"url": srv.url}, AwsClients())
        assert down.status == 503 and not down.ok
    refused = run_probe(HttpEndpoint, {"url": "http://127.0.0.1:9/", "timeout": 1}, AwsClients())
    assert refused.status == 0 and refused.error and not refused.ok
    assert endpoint.probe_class is HttpEndpoint  # type: ignore[attr-defined]


def test_rejects_unknown_arguments() -> None:
    with pytest.raises(InvalidParameters, match="verb"):
        run_probe(HttpEndpoint, {"url": "http://127.0.0.1/", "verb": "GET"}, AwsClients())
