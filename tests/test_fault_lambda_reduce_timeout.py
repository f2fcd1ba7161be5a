"""Round trip of awslambda.reduce_timeout: the exact prior timeout comes back; drift is kept."""

from __future__ import annotations

import boto3
import pytest
from lambda_fixtures import REGION, execution_role, fault_context, make_function
from moto import mock_aws

from chaosrun.errors import InvalidParameters
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import apply_fault, restore_run

FAULT = "chaosrun.faults.awslambda.reduce_timeout"


@pytest.fixture
def lam():
    with mock_aws():
        role = execution_role()
        make_function("orders", role, Timeout=30, Tags={"app": "shop"})
        make_function("stock", role, Timeout=12, Tags={"app": "shop"})
        make_function("other", role, Timeout=60)
        yield boto3.client("lambda", region_name=REGION)


def _timeout(lam, name: str) -> int:
    return int(lam.get_function_configuration(FunctionName=name)["Timeout"])


def test_reduce_and_restore_exact_prior_values(lam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"app": "shop"}, "timeout": 1})
    assert sorted(t.target.name for t in record.targets) == ["orders", "stock"]
    assert {t.target.name: t.before for t in record.targets} == {
        "orders": {"timeout": 30},
        "stock": {"timeout": 12},
    }
    assert _timeout(lam, "orders") == 1 and _timeout(lam, "stock") == 1
    assert _timeout(lam, "other") == 60

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    assert _timeout(lam, "orders") == 30 and _timeout(lam, "stock") == 12


def test_drift_is_reported_not_clobbered(lam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["orders"], "timeout": 2})
    lam.update_function_configuration(FunctionName="orders", Timeout=45)
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert result.current == {"timeout": 45}
    assert _timeout(lam, "orders") == 45


def test_deleted_function_is_reported_gone(lam, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["stock"], "timeout": 3})
    lam.delete_function(FunctionName="stock")
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.GONE


@pytest.mark.parametrize("timeout", [0, 901])
def test_timeout_out_of_range_is_refused(lam, tmp_path, timeout: int) -> None:
    with pytest.raises(InvalidParameters, match="timeout"):
        apply_fault(fault_context(tmp_path), FAULT, {"names": ["orders"], "timeout": timeout})
