"""Round trip of iam.remove_resource_permission: statements removed and re-added exactly."""

from __future__ import annotations

import json

import boto3
import pytest
from lambda_fixtures import REGION, execution_role, fault_context, make_function
from moto import mock_aws

from chaosrun.errors import InvalidParameters
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.iam_remove_resource_permission import parse_statement
from chaosrun.faults.runtime import apply_fault, restore_run

FAULT = "chaosrun.faults.iam.remove_resource_permission"
API_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/orders"
RULE_ARN = "arn:aws:events:us-east-1:123456789012:rule/nightly"


@pytest.fixture
def lam():
    with mock_aws():
        make_function("orders", execution_role(), Tags={"app": "shop"})
        client = boto3.client("lambda", region_name=REGION)
        client.add_permission(
            FunctionName="orders",
            StatementId="apigw-get",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=API_ARN,
        )
        client.add_permission(
            FunctionName="orders",
            StatementId="apigw-acct",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceAccount="123456789012",
        )
        client.add_permission(
            FunctionName="orders",
            StatementId="nightly",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=RULE_ARN,
        )
        yield client


def _statements(lam) -> dict[str, dict]:
    policy = json.loads(lam.get_policy(FunctionName="orders")["Policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def test_remove_by_principal_and_restore_exactly(lam, tmp_path) -> None:
    before = _statements(lam)
    ctx = fault_context(tmp_path)
    record = apply_fault(
        ctx, FAULT, {"tags": {"app": "shop"}, "principal": "apigateway.amazonaws.com"}
    )
    kept = record.targets[0].before["statements"]
    assert [s["sid"] for s in kept] == ["apigw-acct", "apigw-get"]
    assert kept[1]["source_arn"] == API_ARN and kept[0]["source_account"] == "123456789012"
    assert list(_statements(lam)) == ["nightly"]

    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.RESTORED
    after = _statements(lam)
    assert sorted(after) == sorted(before)
    for sid in before:
        assert parse_statement(after[sid]) == parse_statement(before[sid])


def test_remove_by_statement_id(lam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["orders"], "statement_ids": ["nightly", "missing"]})
    assert sorted(_statements(lam)) == ["apigw-acct", "apigw-get"]
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert parse_statement(_statements(lam)["nightly"]).source_arn == RULE_ARN


def test_statement_added_back_meanwhile_is_drift(lam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["orders"], "statement_ids": ["nightly"]})
    lam.add_permission(
        FunctionName="orders",
        StatementId="nightly",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=RULE_ARN.replace("nightly", "hourly"),
    )
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert parse_statement(_statements(lam)["nightly"]).source_arn.endswith("hourly")


def test_unrestorable_statements_are_left_in_place() -> None:
    odd = {
        "Sid": "odd",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Condition": {"StringLike": {"aws:SourceVpce": "vpce-1"}},
    }
    assert not parse_statement(odd).restorable
    assert not parse_statement({**odd, "Condition": {}, "Effect": "Deny"}).restorable
    assert parse_statement({**odd, "Condition": {}}).restorable


def test_selector_is_required(lam, tmp_path) -> None:
    with pytest.raises(InvalidParameters, match="statement_ids or principal"):
        apply_fault(fault_context(tmp_path), FAULT, {"names": ["orders"]})


def test_removing_every_statement_leaves_no_policy_and_restores(lam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    apply_fault(
        ctx, FAULT, {"names": ["orders"], "statement_ids": ["apigw-get", "apigw-acct", "nightly"]}
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName="orders")
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.RESTORED
    assert sorted(_statements(lam)) == ["apigw-acct", "apigw-get", "nightly"]
