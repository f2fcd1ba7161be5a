"""Helpers shared by the sandbox tests: zip a handler, start a sandbox, make clients, roles and
functions; a flippable loopback endpoint and ``eventually`` for the data-plane component tests
(route53, dns, alarms ...)."""

from __future__ import annotations

import io
import json
import textwrap
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config

from chaosrun.sandbox.server import CONTROL_ACCESS_KEY, CONTROL_SECRET_KEY, Sandbox

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def client(sb: Sandbox, service: str, region: str | None = None, **config: Any) -> Any:
    """A boto3 client for ``service`` pointed at the sandbox with the operator's credentials,
    without retries (so a throttle or an error shows on the first call)."""
    return boto3.client(
        service,
        region_name=region or sb.regions[0],
        endpoint_url=sb.endpoint_url,
        aws_access_key_id=CONTROL_ACCESS_KEY,
        aws_secret_access_key=CONTROL_SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config),
    )


#: the policy of roles ``make_function`` creates: the function may call anything
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def zip_handler(
    source: str, filename: str = "app.py", extra: dict[str, str] | None = None
) -> bytes:
    """A deployment package with ``source`` as ``filename`` (plus ``extra`` files)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(filename, textwrap.dedent(source))
        for name, text in (extra or {}).items():
            zf.writestr(name, textwrap.dedent(text))
    return buf.getvalue()


def make_role(sb: Sandbox, name: str, policy: dict[str, Any] | None = None) -> str:
    """An execution role, optionally with an inline policy ``{name}-policy``."""
    iam = client(sb, "iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    if policy is not None:
        iam.put_role_policy(
            RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy)
        )
    return str(role["Role"]["Arn"])


def make_function(
    sb: Sandbox,
    name: str,
    source: str,
    role_arn: str | None = None,
    handler: str = "app.handler",
    env: dict[str, str] | None = None,
    timeout: int = 15,  # generous: a cold boto3 import in a handler is slow on a loaded machine
    region: str | None = None,
    filename: str = "app.py",
) -> str:
    """Create a python3.11 function from ``source``; returns its ARN. Without ``role_arn`` the
    function gets a new role allowing everything (:data:`ALLOW_ALL`)."""
    lam = client(sb, "lambda", region)
    role_arn = role_arn or make_role(sb, f"{name}-role", ALLOW_ALL)
    resp = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role_arn,
        Handler=handler,
        Code={"ZipFile": zip_handler(source, filename)},
        Timeout=timeout,
        Environment={"Variables": env or {}},
    )
    return str(resp["FunctionArn"])


def invoke(
    sb: Sandbox, name: str, payload: Any = None, **kwargs: Any
) -> tuple[dict[str, Any], Any]:
    """Invoke and return (response, decoded payload or None)."""
    lam = client(sb, "lambda", kwargs.pop("region", None))
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}).encode(), **kwargs)
    raw = resp["Payload"].read()
    return resp, (json.loads(raw) if raw else None)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A two-region sandbox without the sample app (import this fixture into a test module)."""
    with Sandbox(regions=["us-east-1", "eu-west-1"], deploy_app=False) as sb:
        yield sb


class FakeEndpoint:
    """A loopback HTTP server whose ``status`` a test flips (stands in for a regional API)."""

    def __init__(self, body: bytes = b'{"status": "ok"}') -> None:
        self.status = 200
        self.body = body
        self.hits = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.hits += 1
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(endpoint.body)))
                self.end_headers()
                self.wfile.write(endpoint.body)

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def eventually(check: Callable[[], object], what: str, attempts: int = 400) -> object:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` otherwise.

    Not a timed assertion: the bound only keeps a broken component from hanging the suite.
    """
    for _ in range(attempts):
        value = check()
        if value:
            return value
        time.sleep(0.025)
    raise AssertionError(f"never happened: {what}")


def make_table(sb: Sandbox, name: str, region: str | None = None) -> None:
    """A PAY_PER_REQUEST table with string hash key ``pk``."""
    client(sb, "dynamodb", region).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def make_proxy_api(
    sb: Sandbox,
    name: str,
    function_arn: str,
    stage: str = "prod",
    permit: bool = True,
    region: str | None = None,
    api_key_required: bool = False,
) -> str:
    """A REST API with ``/{proxy+}`` (ANY) proxied to ``function_arn``, deployed to ``stage``;
    ``permit`` grants apigateway.amazonaws.com lambda:InvokeFunction; ``api_key_required`` sets
    that on ``/{proxy+}``. Returns the API id."""
    region = region or sb.regions[0]
    apigw = client(sb, "apigateway", region)
    api_id = apigw.create_rest_api(name=name)["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    uri = f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    for resource in (root, proxy):
        apigw.put_method(
            restApiId=api_id,
            resourceId=resource,
            httpMethod="ANY",
            authorizationType="NONE",
            apiKeyRequired=api_key_required and resource == proxy,
        )
        apigw.put_integration(
            restApiId=api_id,
            resourceId=resource,
            httpMethod="ANY",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
        )
    apigw.create_deployment(restApiId=api_id, stageName=stage)
    if permit:
        client(sb, "lambda", region).add_permission(
            FunctionName=function_arn,
            StatementId=f"apigw-{api_id}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{region}:123456789012:{api_id}/*/*/*",
        )
    return str(api_id)


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """A plain HTTP request: (status, headers, decoded JSON body or raw text)."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, hdrs, raw = err.code, dict(err.headers), err.read()
    try:
        return status, hdrs, json.loads(raw)
    except ValueError:
        return status, hdrs, raw.decode()
