"""Builders shared by the Lambda and IAM fault tests (moto ``mock_aws`` must be active)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import boto3

from chaosrun.aws.clients import AwsClients
from chaosrun.faults.runtime import FaultContext, new_run_id
from chaosrun.ledger import Ledger

REGION = "us-east-1"


def handler_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return e\n")
    return buf.getvalue()


def execution_role(name: str = "lambda-exec") -> str:
    iam = boto3.client("iam", region_name=REGION)
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"])


def make_function(name: str, role: str, region: str = REGION, **extra: Any) -> str:
    """Create a function; returns its ARN."""
    lam = boto3.client("lambda", region_name=region)
    resp = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": handler_zip()},
        **extra,
    )
    return str(resp["FunctionArn"])


def fault_context(tmp_path: Path, name: str = "ledger") -> FaultContext:
    return FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path / name))
