"""moto answers GetFunction's reserved concurrency 0 as AWS does once moto_compat is applied
(tests/conftest.py applies it for every test)."""

from __future__ import annotations

import boto3
from lambda_fixtures import REGION, execution_role, make_function
from moto import mock_aws

from chaosrun.sandbox import moto_compat


def test_getfunction_reports_reserved_concurrency_zero() -> None:
    moto_compat.apply()  # idempotent
    with mock_aws():
        make_function("f", execution_role("r"))
        lam = boto3.client("lambda", region_name=REGION)
        assert "Concurrency" not in lam.get_function(FunctionName="f")
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
        assert lam.get_function(FunctionName="f")["Concurrency"] == {
            "ReservedConcurrentExecutions": 0
        }
        lam.delete_function_concurrency(FunctionName="f")
        assert "Concurrency" not in lam.get_function(FunctionName="f")
