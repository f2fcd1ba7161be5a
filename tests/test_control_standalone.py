"""A fault under plain ``chaos run`` without chaosrun's control: nothing in the experiment
restores it, so the injection warns (naming the control and ``chaosrun rollback``) and the run
is restored when the process exits."""

from __future__ import annotations

import logging
import threading
from typing import Any

import boto3
import pytest
from chaoslib.experiment import run_experiment
from engine_support import action, experiment
from lambda_fixtures import REGION, execution_role, make_function
from moto import mock_aws

from chaosrun import control
from chaosrun.errors import RunAborted
from chaosrun.faults.awslambda import throttle
from chaosrun.faults.lambda_throttle import Throttle
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
    control.unregister_exit_restore()
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


class HeldCall:
    """A throttle call in a thread whose write blocks until ``release``: a fault call still in
    flight when the process exits (a signal, or a background activity)."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(
            target=throttle, kwargs={"names": ["orders"], "reserved_concurrency": 0}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        assert self.started.wait(10)  # intent recorded, the write not made yet

    def finish(self) -> None:
        self.release.set()
        self.thread.join(10)


@pytest.fixture
def held(lam, monkeypatch):
    call = HeldCall()
    inject = Throttle.inject

    def held_inject(self, target, before):  # type: ignore[no-untyped-def]
        call.started.set()
        call.release.wait(10)
        return inject(self, target, before)

    monkeypatch.setattr(Throttle, "inject", held_inject)
    yield call
    call.finish()  # never let the write outlive the moto mock


def test_the_exit_restore_waits_for_a_fault_call_in_flight(lam, held) -> None:
    client, exit_hooks = lam
    held.start()
    [(hook, *args)] = exit_hooks
    at_exit = threading.Thread(target=hook, args=args, daemon=True)
    at_exit.start()
    at_exit.join(0.5)
    assert at_exit.is_alive()  # waiting for the call, not restoring under it
    held.finish()  # the write lands
    at_exit.join(10)
    ctx = current_context()
    assert ctx is not None and ctx.cancel.is_set()
    assert _reserved(client) is None  # restored after the write, not before
    assert not ctx.ledger.load(ctx.run_id).pending


def test_a_call_still_running_after_the_grace_leaves_the_run_for_rollback(
    lam, held, monkeypatch, caplog
) -> None:
    client, exit_hooks = lam
    monkeypatch.setattr(control, "EXIT_GRACE", 0.2)
    held.start()
    [(hook, *args)] = exit_hooks
    with caplog.at_level(logging.ERROR, logger="chaosrun.control"):
        hook(*args)
    held.finish()
    ctx = current_context()
    assert ctx is not None
    [error] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert f"chaosrun rollback --run {ctx.run_id}" in error
    assert _reserved(client) == 0  # the late write landed; nothing claims it was restored
    assert ctx.ledger.load(ctx.run_id).pending


def test_a_fault_call_after_the_exit_hook_cancelled_the_run_is_refused(lam) -> None:
    client, exit_hooks = lam
    run_experiment(_throttle_experiment())
    [(hook, *args)] = exit_hooks
    hook(*args)
    with pytest.raises(RunAborted, match="not injected"):
        throttle(names=["orders"], reserved_concurrency=0)
    assert _reserved(client) is None


def test_an_unregistered_run_is_not_restored_at_exit(lam) -> None:
    client, exit_hooks = lam
    run_experiment(_throttle_experiment())
    [(hook, *args)] = exit_hooks
    control.unregister_exit_restore()
    hook(*args)
    assert _reserved(client) == 0
