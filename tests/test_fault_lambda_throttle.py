"""Round trip of awslambda.throttle: snapshot -> inject -> restore, prior values and absence."""

from __future__ import annotations

import boto3
import pytest
from lambda_fixtures import REGION, execution_role, fault_context, make_function
from moto import mock_aws

from chaosrun.errors import FaultConflict
from chaosrun.faults.base import RestoreStatus
from chaosrun.faults.runtime import apply_fault, restore_run

FAULT = "chaosrun.faults.awslambda.throttle"


@pytest.fixture
def functions():
    with mock_aws():
        role = execution_role("r")
        for name, tags in (("orders", {"app": "shop"}), ("stock", {"app": "shop"}), ("x", {})):
            make_function(name, role, Tags=tags)
        lam = boto3.client("lambda", region_name=REGION)
        lam.put_function_concurrency(FunctionName="stock", ReservedConcurrentExecutions=50)
        yield lam


def _reserved(lam, name):
    return lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")


def test_throttle_by_tag_and_exact_restore(functions, tmp_path) -> None:
    lam = functions
    ctx = fault_context(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"app": "shop"}, "reserved_concurrency": 0})
    assert sorted(t.target.name for t in record.targets) == ["orders", "stock"]
    assert _reserved(lam, "orders") == 0 and _reserved(lam, "stock") == 0
    assert _reserved(lam, "x") is None

    results = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert {r.status for _, r in results} == {RestoreStatus.RESTORED}
    assert _reserved(lam, "orders") is None  # absent before: absent after
    assert _reserved(lam, "stock") == 50  # prior value kept
    assert not ctx.ledger.load(ctx.run_id).pending
    # idempotent: a second rollback finds nothing to do
    assert restore_run(ctx.ledger, ctx.clients, ctx.run_id) == []


def test_drift_is_reported_not_clobbered(functions, tmp_path) -> None:
    lam = functions
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["stock"], "reserved_concurrency": 0})
    lam.put_function_concurrency(FunctionName="stock", ReservedConcurrentExecutions=7)
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.DRIFT
    assert result.current == {"reserved_concurrency": 7}
    assert _reserved(lam, "stock") == 7
    assert ctx.ledger.load(ctx.run_id).pending  # still reported by a later rollback


def test_second_run_refuses_a_held_target(functions, tmp_path) -> None:
    first = fault_context(tmp_path)
    apply_fault(first, FAULT, {"names": ["orders"]})
    # another machine: empty local ledger, only the lock tag tells
    other = fault_context(tmp_path, "b")
    with pytest.raises(FaultConflict, match="already impaired"):
        apply_fault(other, FAULT, {"names": ["orders"]})
    # same machine: the ledger tells
    same = fault_context(tmp_path)
    with pytest.raises(FaultConflict):
        apply_fault(same, FAULT, {"names": ["orders"]})
    restore_run(first.ledger, first.clients, first.run_id)
    assert (
        "chaosrun:lock"
        not in functions.list_tags(
            Resource=functions.get_function(FunctionName="orders")["Configuration"]["FunctionArn"]
        )["Tags"]
    )
    apply_fault(same, FAULT, {"names": ["orders"]})  # free again


def test_count_selection_records_seed(functions, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    record = apply_fault(ctx, FAULT, {"tags": {"app": "shop"}, "count": 1, "seed": 42})
    again = fault_context(tmp_path / "again")
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    record2 = apply_fault(again, FAULT, {"tags": {"app": "shop"}, "count": 1, "seed": 42})
    assert record.seed == 42
    assert [t.target.arn for t in record.targets] == [t.target.arn for t in record2.targets]


def test_a_settled_run_is_archived_and_still_readable(functions, tmp_path) -> None:
    ctx = fault_context(tmp_path)
    apply_fault(ctx, FAULT, {"names": ["orders"]})
    assert [r.run.run_id for r in ctx.ledger.runs()] == [ctx.run_id]
    restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert list(ctx.ledger.runs()) == []  # held-target checks no longer read it
    assert ctx.ledger.path(ctx.run_id).parent == ctx.ledger.done_directory
    archived = ctx.ledger.load(ctx.run_id)
    assert archived.ended and not archived.pending
    assert restore_run(ctx.ledger, ctx.clients, ctx.run_id) == []  # rollback --run: no-op


def test_prior_zero_is_kept_and_reads_use_getfunction(functions, tmp_path) -> None:
    """A function already at 0 (a kill switch) stays at 0 after restore, distinct from "none";
    and the fault reads through GetFunction (its own 100/s Lambda quota), never through
    GetFunctionConcurrency (the 15/s control-plane quota its writes need)."""
    lam = functions
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=0)
    ctx = fault_context(tmp_path)
    calls: list[str] = []
    client = ctx.clients.client("lambda", REGION)
    client.meta.events.register("before-call.lambda.*", lambda model, **_: calls.append(model.name))
    record = apply_fault(ctx, FAULT, {"names": ["orders"], "reserved_concurrency": 3})
    assert record.targets[0].before == {"reserved_concurrency": 0}
    assert _reserved(lam, "orders") == 3
    [(_, result)] = restore_run(ctx.ledger, ctx.clients, ctx.run_id)
    assert result.status is RestoreStatus.RESTORED
    assert _reserved(lam, "orders") == 0
    assert "GetFunction" in calls and "GetFunctionConcurrency" not in calls
