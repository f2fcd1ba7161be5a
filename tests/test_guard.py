"""The guard itself must fail a test that leaks a real AWS call."""

import boto3
import pytest
from conftest import RealAwsCallBlocked


def test_real_aws_call_is_blocked() -> None:
    client = boto3.client("sts", region_name="us-east-1")
    with pytest.raises(RealAwsCallBlocked):
        client.get_caller_identity()
