"""A fault under plain ``chaos run`` without chaosrun's control: nothing in the experiment
restores it, so the injection warns (naming the control and ``chaosrun rollback``) and the run
is restored when the process exits."""

from __future__ import annotations

import logging
from typing import Any

import boto3
import pytest
from chaoslib.experiment import run_experiment
from engine_support import action, experiment
from lambda_fixtures import REGION, execution_role, make_function
from moto import mock_aws

from chaosrun import control
from chaosrun.faults.runtime import current_context, set_active_context

THROTTLE = {"type": "python", "module": "chaosrun.faults.awslambda", "func": "throttle"}
CONTROL = {"name": "chaosrun", "provider": {"type": "python", "module": "chaosrun.control"}}


@pytest.fixture
def lam(monkeypatch):
    exit_hooks: list[tuple[Any, ...]] = []
    # record instead of registering: a hook left behind would run when pytest exits
    monkeypatch.setattr(control, "_at_exit", lambda *call: exit_hooks.append(call))
    set_active_context(None)
    with mock_aws():
        make_function("orders", execution_role("r"))
        yield boto3.client("lambda", region_name=REGION), exit_hooks
    set_active_context(None)


def _reserved(lam) -> int | None:
    return lam.get_function_concurrency(FunctionName="orders").get("ReservedConcurrentExecutions")


def _throttle_experiment(**extra: Any) -> dict[str, Any]:
    provider = {**THROTTLE, "arguments": {"names": ["orders"], "reserved_concurrency": 0}}
    return experiment(method=[action("throttle", provider)], **extra)


def test_without_the_control_it_warns_and_restores_at_exit(lam, caplog) -> None:
    client, exit_hooks = lam
    with caplog.at_level(logging.WARNING, logger="chaosrun.control"):
        run_experiment(_throttle_experiment())
    ctx = current_context()
    assert ctx is not None and _reserved(client) == 0
    [warning] = [r.getMessage() for r in caplog.records if r.name == "chaosrun.control"]
    assert "module: chaosrun.control" in warning
    assert f"chaosrun rollback --run {ctx.run_id}" in warning

    [(hook, *args)] = exit_hooks
    hook(*args)  # the process exits
    assert _reserved(client) is None
    assert not ctx.ledger.load(ctx.run_id).pending


def test_with_the_control_there_is_no_warning_and_no_exit_hook(lam, caplog) -> None:
    client, exit_hooks = lam
    with caplog.at_level(logging.WARNING, logger="chaosrun.control"):
        run_experiment(_throttle_experiment(controls=[CONTROL]))
    assert _reserved(client) is None
    assert exit_hooks == [] and not caplog.records


def test_an_exit_hook_leaves_a_run_someone_took_over(lam) -> None:
    client, exit_hooks = lam
    run_experiment(_throttle_experiment())
    [(hook, *args)] = exit_hooks
    set_active_context(None)  # e.g. the control restored and forgot it
    hook(*args)
    assert _reserved(client) == 0
