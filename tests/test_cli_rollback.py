"""``chaosrun rollback`` in-process: alive runs skipped unless --force (exit 4), drift exits 4,
unknown runs, idempotence."""

from __future__ import annotations

import boto3
import pytest
from lambda_fixtures import REGION, execution_role, make_function
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.cli.main import main
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id
from chaosrun.ledger import Ledger

FAULT = "chaosrun.faults.awslambda.throttle"


@pytest.fixture
def lam():
    with mock_aws():
        make_function("orders", execution_role("r"))
        yield boto3.client("lambda", region_name=REGION)


def _reserved(lam) -> int | None:
    return lam.get_function_concurrency(FunctionName="orders").get("ReservedConcurrentExecutions")


def _inject(ledger_dir) -> FaultContext:
    ctx = FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(ledger_dir))
    apply_fault(ctx, FAULT, {"names": ["orders"], "reserved_concurrency": 0})
    return ctx


def test_alive_run_is_skipped_unless_forced(lam, tmp_path, capsys) -> None:
    ctx = _inject(tmp_path / "l")  # owned by this (alive) process
    assert main(["rollback", "--ledger", str(tmp_path / "l")]) == 4  # still pending: not settled
    assert "still running" in capsys.readouterr().out
    assert _reserved(lam) == 0

    assert main(["rollback", "--ledger", str(tmp_path / "l"), "--force"]) == 0
    out = capsys.readouterr().out
    assert f"run {ctx.run_id}" in out and "restored" in out
    assert _reserved(lam) is None
    assert main(["rollback", "--ledger", str(tmp_path / "l"), "--force"]) == 0
    assert "nothing to restore" in capsys.readouterr().out


def test_drift_exits_4_and_stays_pending(lam, tmp_path, capsys) -> None:
    ctx = _inject(tmp_path / "l")
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=7)
    args = ["rollback", "--ledger", str(tmp_path / "l"), "--run", ctx.run_id, "--force"]
    assert main(args) == 4
    assert "drift" in capsys.readouterr().out
    assert _reserved(lam) == 7
    assert main(args) == 4  # reported again until someone settles it


def test_unknown_run(tmp_path, capsys) -> None:
    assert main(["rollback", "--ledger", str(tmp_path), "--run", "nope"]) == 2
    assert "no run nope" in capsys.readouterr().err


def test_default_ledger_is_chaosrun_home(lam, capsys) -> None:
    _inject(None)
    assert main(["rollback", "--force"]) == 0
    assert _reserved(lam) is None
