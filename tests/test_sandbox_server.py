from __future__ import annotations

import json
import urllib.request

import pytest

from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.base import AwsRequest, Component
from chaosrun.sandbox.middleware import parse_request, rest_operation
from chaosrun.sandbox.server import CONTROL_ACCESS_KEY
from tests.sandbox_helpers import client

pytestmark = pytest.mark.sandbox


class Recorder(Component):
    name = "recorder"
    order = 10

    def __init__(self) -> None:
        self.seen: list[AwsRequest] = []
        self.observed: list[tuple[str | None, int]] = []

    def intercept(self, request: AwsRequest):  # type: ignore[no-untyped-def]
        self.seen.append(request)
        if request.operation == "ListQueues":
            from werkzeug.wrappers import Response

            return Response(
                json.dumps({"QueueUrls": ["http://x/1/intercepted"]}),
                status=200,
                content_type="application/x-amz-json-1.0",
            )
        return None

    def observe(self, request: AwsRequest, status: int) -> None:
        self.observed.append((request.operation, status))


def test_moto_control_plane_served_on_loopback_and_env_points_at_it() -> None:
    with Sandbox(regions=["eu-west-1"], deploy_app=False, components=[]) as sb:
        assert sb.endpoint_url.startswith("http://127.0.0.1:")
        env = sb.env()
        assert env["AWS_ENDPOINT_URL"] == sb.endpoint_url
        assert env["AWS_DEFAULT_REGION"] == "eu-west-1"
        ddb = client(sb, "dynamodb")
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        assert sb.context.clients.client("dynamodb").list_tables()["TableNames"] == ["t"]


def test_components_intercept_then_observe_with_parsed_requests() -> None:
    rec = Recorder()
    with Sandbox(deploy_app=False, components=[rec]) as sb:
        ddb = client(sb, "dynamodb", "eu-west-1")
        ddb.list_tables()
        sqs = client(sb, "sqs")
        assert sqs.list_queues()["QueueUrls"] == ["http://x/1/intercepted"]
        client(sb, "lambda").list_functions()
    ops = [(r.service, r.region, r.operation) for r in rec.seen]
    assert ("dynamodb", "eu-west-1", "ListTables") in ops
    assert ("sqs", "us-east-1", "ListQueues") in ops
    assert ("lambda", "us-east-1", "ListFunctions") in ops
    assert ("ListTables", 200) in rec.observed
    # intercepted requests never reach moto, so they are not observed
    assert all(op != "ListQueues" for op, _ in rec.observed)
    assert rec.seen[0].access_key == CONTROL_ACCESS_KEY
    assert rec.seen[0].principal is None


def test_state_is_reset_per_sandbox() -> None:
    with Sandbox(deploy_app=False, components=[]) as sb:
        client(sb, "sqs").create_queue(QueueName="q1")
    with Sandbox(deploy_app=False, components=[]) as sb:
        assert "QueueUrls" not in client(sb, "sqs").list_queues()


def test_rest_operations_resolved_from_botocore_models() -> None:
    assert rest_operation("lambda", "POST", "/2015-03-31/functions/f/invocations", {}) == "Invoke"
    assert rest_operation("lambda", "GET", "/2015-03-31/functions/f", {}) == "GetFunction"
    assert rest_operation("s3", "GET", "/bucket/some/key", {}) == "GetObject"
    assert rest_operation("s3", "PUT", "/bucket", {}) == "CreateBucket"


def test_parse_request_reads_sigv4_scope() -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/events/"
        "aws4_request, SignedHeaders=host, Signature=x",
        "HTTP_X_AMZ_TARGET": "AWSEvents.PutEvents",
    }
    req = parse_request(environ, b"{}")
    assert (req.service, req.region, req.operation, req.access_key) == (
        "events",
        "eu-west-1",
        "PutEvents",
        "AKID",
    )


def test_moto_api_reachable_over_plain_http() -> None:
    with Sandbox(deploy_app=False, components=[]) as sb:
        resp = urllib.request.urlopen(sb.endpoint_url + "/moto-api/data.json")
        assert resp.status == 200
        resp.close()


def test_cli_sandbox_up_prints_exports_and_stops(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse
    import threading

    from chaosrun.cli import cmd_sandbox

    stop = threading.Event()
    args = argparse.Namespace(port=0, regions="eu-west-1", no_app=True, time_scale=1.0)
    stop.set()  # returns right after start-up and printing
    assert cmd_sandbox.run_up(args, stop) == 0
    out = capsys.readouterr().out
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in out
    assert "export AWS_DEFAULT_REGION=eu-west-1" in out
    assert "# API endpoint eu-west-1: http://127.0.0.1:" in out


def test_cli_parser_knows_sandbox_up() -> None:
    from chaosrun.cli.main import build_parser

    args = build_parser().parse_args(["sandbox", "up", "--port", "0", "--no-app"])
    assert args.port == 0 and args.no_app is True
