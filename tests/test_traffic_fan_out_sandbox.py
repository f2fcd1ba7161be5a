"""Synthetic traffic scaled out to Lambda workers: in the sandbox the worker functions run
locally through its Lambda runtime, against the sample app's global endpoint."""

from __future__ import annotations

import pytest
from catalogue_support import app_sandbox
from sandbox_helpers import ALLOW_ALL, client, make_role

from chaosrun.aws.clients import AwsClients
from chaosrun.plugins import PROBES
from chaosrun.probes.base import run_probe
from chaosrun.probes.traffic_worker import worker_package

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def test_fan_out_to_sandbox_lambda_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    with app_sandbox() as sb:
        for key, value in sb.env().items():
            monkeypatch.setenv(key, value)
        client(sb, "lambda").create_function(
            FunctionName="traffic-worker",
            Runtime="python3.11",
            Role=make_role(sb, "traffic-worker-role", ALLOW_ALL),
            Handler="traffic_worker.handler",
            Code={"ZipFile": worker_package()},
            Timeout=60,
        )
        out = run_probe(
            PROBES.get("chaosrun.probes.traffic.generate"),
            {
                "session": "fan-out",
                "endpoints": [sb.app.global_url],
                "requests": [
                    {"method": "GET", "path": "/health", "weight": 3},
                    {
                        "method": "POST",
                        "path": "/orders",
                        "write": True,
                        "body": {"item": "book"},
                        "expect_status": [201],
                    },
                ],
                "rate": 20,
                "duration": 2,
                "fan_out": {"function_name": "traffic-worker", "workers": 3, "start_delay_s": 1},
                "persist": False,
            },
            AwsClients(),
        )
    assert out.worker_errors == []
    assert out.workers == 3
    assert out.requests >= 30  # 20/s for 2 s across three workers (a few may be cut at the end)
    assert out.success_ratio == 1.0
    assert out.acknowledged_writes  # writes acknowledged by the app, ready for an RPO check
    assert set(out.by_region) == {"us-east-1"}  # served through the global endpoint
