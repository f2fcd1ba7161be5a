"""``safety.allowed_regions`` holds for the targets themselves: an ARN names its own region,
whatever the parameters' ``regions`` say, and a target outside the list is refused before
anything changes (lock, ledger, resource), in dry runs too."""

from __future__ import annotations

import boto3
import pytest
from engine_support import action, experiment, run
from lambda_fixtures import execution_role, fault_context, make_function
from moto import mock_aws

from chaosrun.aws.locks import LOCK_TAG
from chaosrun.errors import SafetyViolation
from chaosrun.faults.runtime import apply_fault
from chaosrun.journal.model import Verdict
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.awslambda.throttle"
ALLOWED = ["us-east-1"]


@pytest.fixture
def eu_function():
    """A function in eu-west-1 (outside ALLOWED); yields its client and ARN."""
    with mock_aws():
        arn = make_function("orders", execution_role(), region="eu-west-1")
        yield boto3.client("lambda", region_name="eu-west-1"), arn


def _untouched(lam, arn: str) -> bool:
    reserved = lam.get_function_concurrency(FunctionName="orders")
    return "ReservedConcurrentExecutions" not in reserved and LOCK_TAG not in lam.list_tags(
        Resource=arn
    ).get("Tags", {})


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_run_refuses_an_arn_outside_the_allowed_regions(eu_function, tmp_path, dry_run) -> None:
    lam, arn = eu_function
    provider = {"type": "python", "module": "chaosrun.faults.awslambda", "func": "throttle"}
    throttle = action("throttle", {**provider, "arguments": {"arns": [arn]}})
    settings = {"safety": {"allowed_regions": ALLOWED}}
    journal = run(experiment(method=[throttle]), Ledger(tmp_path / "l"), settings, dry_run=dry_run)
    assert journal.verdict is Verdict.ABORTED
    said = " ".join([journal.chaosrun.reason, *journal.chaosrun.errors])
    assert f"{arn} (region eu-west-1)" in said and "allowed_regions ['us-east-1']" in said
    assert journal.run == [] and _untouched(lam, arn)


@pytest.mark.parametrize("dry_run", [False, True])
def test_apply_fault_refuses_a_selected_target_outside(eu_function, tmp_path, dry_run) -> None:
    lam, arn = eu_function
    ctx = fault_context(tmp_path)
    ctx.allowed_regions, ctx.dry_run = ALLOWED, dry_run
    with pytest.raises(SafetyViolation) as refused:
        apply_fault(ctx, FAULT, {"arns": [arn], "regions": ALLOWED})
    message = str(refused.value)
    assert arn in message and "region eu-west-1" in message and str(ALLOWED) in message
    assert _untouched(lam, arn) and not ctx.ledger.directory.exists() and ctx.records == []


def test_apply_fault_allows_targets_inside(eu_function, tmp_path) -> None:
    _, arn = eu_function
    ctx = fault_context(tmp_path)
    ctx.allowed_regions = ["eu-west-1"]
    record = apply_fault(ctx, FAULT, {"arns": [arn]})
    assert [t.target.region for t in record.targets] == ["eu-west-1"]
