"""The Lambda runtime, observed from outside through boto3 against the sandbox."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaosrun.sandbox import Sandbox
from tests.sandbox_helpers import client, eventually, invoke, make_function, make_table

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(regions=["us-east-1", "eu-west-1"], deploy_app=False) as sandbox:
        make_table(sandbox, "orders")
        yield sandbox


WRITER = """
import os
import boto3

ddb = boto3.client("dynamodb")  # at import time, as real handlers do

def handler(event, context):
    ddb.put_item(TableName="orders", Item={"pk": {"S": event["id"]}})
    return {
        "total": event["a"] * event["b"],
        "colour": os.environ.get("COLOUR"),
        "region": os.environ["AWS_REGION"],
        "function": context.function_name,
        "request_id": context.aws_request_id,
        "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 15000,  # Timeout=15
    }
"""


def test_real_handler_runs_writes_dynamodb_and_sees_its_env(sb: Sandbox) -> None:
    make_function(sb, "writer", WRITER, env={"COLOUR": "blue"}, timeout=15)
    resp, body = invoke(sb, "writer", {"id": "o-1", "a": 6, "b": 7})
    assert resp["StatusCode"] == 200
    assert "FunctionError" not in resp
    assert body["total"] == 42
    assert body["colour"] == "blue"
    assert body["region"] == "us-east-1"
    assert body["function"] == "writer"
    assert body["request_id"]
    assert body["remaining_ok"] is True
    item = client(sb, "dynamodb").get_item(TableName="orders", Key={"pk": {"S": "o-1"}})
    assert item["Item"]["pk"]["S"] == "o-1"


def test_functions_with_same_file_names_do_not_share_modules(sb: Sandbox) -> None:
    src = """
import os
VALUE = os.environ["WHO"]

def handler(event, context):
    return VALUE
"""
    make_function(sb, "same-a", src, env={"WHO": "a"})
    make_function(sb, "same-b", src, env={"WHO": "b"}, region="eu-west-1")
    assert invoke(sb, "same-a")[1] == "a"
    assert invoke(sb, "same-b", region="eu-west-1")[1] == "b"
    assert invoke(sb, "same-a")[1] == "a"


def test_operator_environment_is_not_visible_to_functions(sb: Sandbox) -> None:
    make_function(sb, "env-probe", "import os\ndef handler(e, c):\n    return dict(os.environ)\n")
    env = invoke(sb, "env-probe")[1]
    assert env["AWS_ENDPOINT_URL"] == sb.endpoint_url
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert "CHAOSRUN_HOME" not in env


def test_handler_exception_is_unhandled_function_error(sb: Sandbox) -> None:
    src = "def handler(event, context):\n    raise ValueError('bad order ' + event['id'])\n"
    make_function(sb, "raiser", src)
    resp, body = invoke(sb, "raiser", {"id": "7"})
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad order 7"
    assert body["stackTrace"]


def test_timeout_returns_task_timed_out(sb: Sandbox) -> None:
    src = "import threading\ndef handler(e, c):\n    threading.Event().wait(30)\n"
    make_function(sb, "sleeper", src, timeout=1)
    resp, body = invoke(sb, "sleeper")
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]


def test_reserved_concurrency_zero_throttles_every_call(sb: Sandbox) -> None:
    make_function(sb, "throttled", "def handler(e, c):\n    return 'ran'\n")
    lam = client(sb, "lambda")
    assert invoke(sb, "throttled")[1] == "ran"
    lam.put_function_concurrency(FunctionName="throttled", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as err:
        invoke(sb, "throttled")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert err.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.delete_function_concurrency(FunctionName="throttled")
    assert invoke(sb, "throttled")[1] == "ran"


def test_reserved_concurrency_n_throttles_calls_beyond_n(sb: Sandbox, tmp_path: Path) -> None:
    src = """
import os, pathlib, time

def handler(event, context):
    d = pathlib.Path(event["dir"])
    (d / f"started-{event['n']}").touch()
    while not (d / "release").exists():
        time.sleep(0.01)
    return event["n"]
"""
    make_function(sb, "gated", src, timeout=30)
    lam = client(sb, "lambda")
    lam.put_function_concurrency(FunctionName="gated", ReservedConcurrentExecutions=2)
    results: dict[int, object] = {}

    def call(n: int) -> None:
        results[n] = invoke(sb, "gated", {"dir": str(tmp_path), "n": n})[1]

    threads = [threading.Thread(target=call, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    eventually(lambda: len(list(tmp_path.glob("started-*"))) == 2, "two executions running")
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        invoke(sb, "gated", {"dir": str(tmp_path), "n": 3})
    (tmp_path / "release").touch()
    for t in threads:
        t.join()
    assert results == {1: 1, 2: 2}
    assert not (tmp_path / "started-3").exists()


def test_event_and_dry_run_invocations(sb: Sandbox, tmp_path: Path) -> None:
    src = "import pathlib\ndef handler(e, c):\n    pathlib.Path(e['file']).write_text('done')\n"
    make_function(sb, "async-writer", src)
    marker = tmp_path / "marker"
    resp, _ = invoke(sb, "async-writer", {"file": str(marker)}, InvocationType="Event")
    assert resp["StatusCode"] == 202
    eventually(marker.exists, "async invocation ran")
    resp, _ = invoke(sb, "async-writer", {"file": str(marker)}, InvocationType="DryRun")
    assert resp["StatusCode"] == 204


def test_unknown_function_is_resource_not_found(sb: Sandbox) -> None:
    lam = client(sb, "lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        invoke(sb, "nope")


def _failure_function(sb: Sandbox, name: str, config: dict[str, object], **kw: object) -> None:
    client(sb, "ssm").put_parameter(
        Name=f"/{name}/failure", Value=json.dumps(config), Type="String", Overwrite=True
    )
    make_function(
        sb,
        name,
        kw.pop("source", "def handler(e, c):\n    return {'statusCode': 200}\n"),
        env={"FAILURE_INJECTION_PARAM": f"/{name}/failure"},
        **kw,  # type: ignore[arg-type]
    )


def test_failure_lambda_statuscode_and_exception(sb: Sandbox) -> None:
    _failure_function(sb, "fl-status", {"statuscode": {"enabled": True, "status_code": 503}})
    assert invoke(sb, "fl-status")[1] == {"statusCode": 503}
    _failure_function(
        sb,
        "fl-exc",
        {"isEnabled": True, "failureMode": "exception", "rate": 1, "exceptionMsg": "chaos!"},
    )
    resp, body = invoke(sb, "fl-exc")
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorMessage"] == "chaos!"
    # switching the parameter off restores normal behaviour (cache is at most 1 s)
    client(sb, "ssm").put_parameter(
        Name="/fl-status/failure",
        Value=json.dumps({"statuscode": {"enabled": False}}),
        Type="String",
        Overwrite=True,
    )
    eventually(lambda: invoke(sb, "fl-status")[1] == {"statusCode": 200}, "injection off")


def test_failure_lambda_latency_pushes_past_the_timeout(sb: Sandbox) -> None:
    _failure_function(
        sb,
        "fl-latency",
        {"latency": {"enabled": True, "min_latency": 1500, "max_latency": 1500}},
        timeout=1,
    )
    resp, body = invoke(sb, "fl-latency")
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out" in body["errorMessage"]


def test_failure_lambda_denylist_blocks_matching_hosts_only(sb: Sandbox) -> None:
    src = """
import boto3
from botocore.config import Config
cfg = Config(retries={"max_attempts": 1})
ddb = boto3.client("dynamodb", config=cfg)
ssm = boto3.client("ssm", config=cfg)

def handler(event, context):
    out = {}
    for name, call in (("ssm", lambda: ssm.describe_parameters()),
                       ("dynamodb", lambda: ddb.list_tables())):
        try:
            call()
            out[name] = "ok"
        except Exception as exc:
            out[name] = type(exc).__name__
    return out
"""
    _failure_function(
        sb,
        "fl-deny",
        {"denylist": {"enabled": True, "deny_list": ["dynamodb.*.amazonaws.com"]}},
        source=src,
    )
    assert invoke(sb, "fl-deny")[1] == {"ssm": "ok", "dynamodb": "EndpointConnectionError"}
