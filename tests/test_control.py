"""chaosrun.control under plain Chaos Toolkit: chaoslib's own runner, our throttle fault."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from chaoslib.experiment import run_experiment
from lambda_fixtures import REGION, execution_role, make_function
from moto import mock_aws

from chaosrun import control
from chaosrun.faults.runtime import set_active_context
from chaosrun.ledger import Ledger

CONTROL = {"name": "chaosrun", "provider": {"type": "python", "module": "chaosrun.control"}}


@pytest.fixture
def lam():
    set_active_context(None)
    with mock_aws():
        make_function("orders", execution_role("r"))
        client = boto3.client("lambda", region_name=REGION)
        client.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=25)
        yield client
    control.unregister_exit_restore()  # a run left unrestored must not be restored at exit
    set_active_context(None)


def _reserved(lam) -> int | None:
    return lam.get_function_concurrency(FunctionName="orders").get("ReservedConcurrentExecutions")


def _experiment(controls: bool = True) -> dict[str, Any]:
    experiment: dict[str, Any] = {
        "title": "throttle under chaos run",
        "description": "d",
        "method": [
            {
                "type": "action",
                "name": "throttle",
                "provider": {
                    "type": "python",
                    "module": "chaosrun.faults.awslambda",
                    "func": "throttle",
                    "arguments": {"names": ["orders"], "reserved_concurrency": 0},
                },
            }
        ],
    }
    if controls:
        experiment["controls"] = [CONTROL]
    return experiment


def test_without_control_the_fault_stays(lam) -> None:
    run_experiment(_experiment(controls=False))
    assert _reserved(lam) == 0  # what the control exists for


def test_control_restores_after_plain_chaos_run(lam) -> None:
    journal = run_experiment(_experiment())
    assert _reserved(lam) == 25
    [result] = journal["chaosrun_restore"]
    assert result["status"] == "restored" and result["target"]["name"] == "orders"
    assert not Ledger().pending_runs()


def test_control_restores_when_rollbacks_are_skipped(lam) -> None:
    settings = {"runtime": {"rollbacks": {"strategy": "never"}}}
    run_experiment(_experiment(), settings=settings)
    assert _reserved(lam) == 25


def test_control_is_idempotent(lam) -> None:
    run_experiment(_experiment())
    state: dict[str, Any] = {}
    control.before_rollback_control(context={}, configuration={})
    control.after_experiment_control(context={}, state=state, configuration={})
    assert state["chaosrun_restore"] == []
    assert _reserved(lam) == 25
