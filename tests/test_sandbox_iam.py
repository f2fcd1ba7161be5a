"""IAM enforcement of functions' own calls, observed from inside a real handler."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chaosrun.sandbox import Sandbox
from tests.sandbox_helpers import client, invoke, make_function, make_role, make_table

pytestmark = pytest.mark.sandbox

HANDLER = """
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

cfg = Config(retries={"max_attempts": 1})
ddb = boto3.client("dynamodb", config=cfg)
sqs = boto3.client("sqs", config=cfg)
sts = boto3.client("sts", config=cfg)

CALLS = {
    "put": lambda q: ddb.put_item(TableName="t", Item={"pk": {"S": "1"}}),
    "get": lambda q: ddb.get_item(TableName="t", Key={"pk": {"S": "1"}}),
    "send": lambda q: sqs.send_message(QueueUrl=q, MessageBody="x"),
    "whoami": lambda q: sts.get_caller_identity()["Arn"],
}

def handler(event, context):
    out = {}
    for name in event["calls"]:
        try:
            result = CALLS[name](event.get("queue"))
            out[name] = result if isinstance(result, str) else "ok"
        except ClientError as exc:
            err = exc.response["Error"]
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            out[name] = f"{err['Code']}:{status}:{err.get('Message', '')}"
    return out
"""

ALLOW = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:GetItem"],
            "Resource": "arn:aws:dynamodb:*:*:table/t",
        }
    ],
}


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(deploy_app=False) as sandbox:
        make_table(sandbox, "t")
        yield sandbox


def _run(sb: Sandbox, *calls: str, queue: str | None = None) -> dict[str, str]:
    resp, body = invoke(sb, "fn", {"calls": list(calls), "queue": queue})
    assert "FunctionError" not in resp, body
    return dict(body)


def test_inline_deny_fails_exactly_that_call(sb: Sandbox) -> None:
    role = make_role(sb, "fn-role", ALLOW)
    make_function(sb, "fn", HANDLER, role_arn=role)
    assert _run(sb, "put", "get") == {"put": "ok", "get": "ok"}
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*"}],
    }
    client(sb, "iam").put_role_policy(
        RoleName="fn-role", PolicyName="deny-put", PolicyDocument=json.dumps(deny)
    )
    out = _run(sb, "put", "get")
    assert out["get"] == "ok"
    code, status, message = out["put"].split(":", 2)
    assert (code, status) == ("AccessDeniedException", "400")
    assert "dynamodb:PutItem" in message and "explicit deny" in message
    # the operator's own calls are control plane: unchecked
    client(sb, "dynamodb").put_item(TableName="t", Item={"pk": {"S": "op"}})
    client(sb, "iam").delete_role_policy(RoleName="fn-role", PolicyName="deny-put")
    assert _run(sb, "put") == {"put": "ok"}


def test_detaching_a_managed_policy_removes_the_permission(sb: Sandbox) -> None:
    iam = client(sb, "iam")
    role = make_role(sb, "fn-role", ALLOW)
    queue = client(sb, "sqs").create_queue(QueueName="q")["QueueUrl"]
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}],
    }
    arn = iam.create_policy(PolicyName="send", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="fn-role", PolicyArn=arn)
    make_function(sb, "fn", HANDLER, role_arn=role)
    assert _run(sb, "send", "get", queue=queue) == {"send": "ok", "get": "ok"}
    iam.detach_role_policy(RoleName="fn-role", PolicyArn=arn)
    out = _run(sb, "send", "get", queue=queue)
    assert out["get"] == "ok"
    assert out["send"].startswith("AccessDenied:403:")
    assert "no identity-based policy allows the sqs:SendMessage action" in out["send"]


def test_table_resource_policy_deny_applies_to_the_role(sb: Sandbox) -> None:
    role = make_role(sb, "fn-role", ALLOW)
    make_function(sb, "fn", HANDLER, role_arn=role)
    ddb = client(sb, "dynamodb")
    table_arn = ddb.describe_table(TableName="t")["Table"]["TableArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": role},
                "Action": "dynamodb:GetItem",
                "Resource": table_arn,
            }
        ],
    }
    ddb.put_resource_policy(ResourceArn=table_arn, Policy=json.dumps(policy))
    out = _run(sb, "put", "get")
    assert out["put"] == "ok"
    assert out["get"].startswith("AccessDeniedException:400:")
    assert "resource-based policy" in out["get"]


def test_function_identity_is_its_execution_role(sb: Sandbox) -> None:
    role = make_role(sb, "fn-role", ALLOW)
    make_function(sb, "fn", HANDLER, role_arn=role)
    assert _run(sb, "whoami")["whoami"].endswith(":assumed-role/fn-role/fn-role")
