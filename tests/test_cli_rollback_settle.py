"""``chaosrun rollback``: a skipped live run is not "settled" (exit 4), and ``--accept-drift``
settles checked drift of one run, without touching the resource, releasing its lock, on record."""

from __future__ import annotations

import boto3
import pytest
from lambda_fixtures import REGION, execution_role, make_function
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.aws.locks import LOCK_TAG
from chaosrun.cli.main import main
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id
from chaosrun.ledger import Ledger
from chaosrun.targets import RestoreStatus

FAULT = "chaosrun.faults.awslambda.throttle"


@pytest.fixture
def lam():
    with mock_aws():
        role = execution_role("r")
        for name in ("orders", "payments"):
            make_function(name, role)
        yield boto3.client("lambda", region_name=REGION)


def _reserved(lam, name: str) -> int | None:
    return lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")


def _locked(lam, name: str) -> bool:
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    return LOCK_TAG in lam.list_tags(Resource=arn).get("Tags", {})


def _inject(ledger: Ledger, *names: str) -> str:
    ctx = FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=ledger)
    apply_fault(ctx, FAULT, {"names": list(names), "reserved_concurrency": 0})
    return ctx.run_id


def _drift(lam, ledger: Ledger, capsys) -> str:
    """orders drifts (someone set 7 meanwhile), payments is restored: orders stays pending."""
    run_id = _inject(ledger, "orders", "payments")
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=7)
    args = ["rollback", "--ledger", str(ledger.directory), "--run", run_id, "--force"]
    assert main(args) == 4
    capsys.readouterr()
    assert _locked(lam, "orders") and not _locked(lam, "payments")
    return run_id


def test_skipped_live_run_with_pending_changes_is_not_settled(lam, tmp_path, capsys) -> None:
    ledger = Ledger(tmp_path / "l")
    run_id = _inject(ledger, "orders")  # owned by this (alive) process
    assert main(["rollback", "--ledger", str(ledger.directory)]) == 4
    out = capsys.readouterr().out
    assert f"run {run_id}: skipped" in out and "1 change(s) still pending" in out
    assert "Wait for it to finish" in out and f"--run {run_id} --force" in out
    assert _reserved(lam, "orders") == 0  # untouched


def test_accept_drift_settles_only_the_drift_and_releases_its_lock(lam, tmp_path, capsys) -> None:
    ledger = Ledger(tmp_path / "l")
    run_id = _drift(lam, ledger, capsys)
    entry = ledger.load(run_id).pending[0]
    args = ["rollback", "--ledger", str(ledger.directory), "--accept-drift", run_id]
    assert main([*args, "--force", "--reason", "kept 7 on purpose"]) == 0
    out = capsys.readouterr().out
    assert "[accepted] lambda:function orders" in out and "now {" in out
    assert entry.intent.entry_id in out

    assert _reserved(lam, "orders") == 7  # the resource is left as the human found it
    assert not _locked(lam, "orders")
    run = ledger.load(run_id)
    assert not run.pending and run.ended
    assert ledger.path(run_id).parent == ledger.done_directory
    accepted = next(e for e in run.entries if e.intent.entry_id == entry.intent.entry_id)
    last = accepted.results[-1]
    assert last.result.status is RestoreStatus.ACCEPTED
    assert "drift accepted by " in last.result.detail and "kept 7 on purpose" in last.result.detail
    assert last.result.current == {"reserved_concurrency": 7}
    assert accepted.results[-2].result.status is RestoreStatus.DRIFT  # the history is kept

    assert main(["rollback", "--ledger", str(ledger.directory)]) == 0
    assert "nothing to restore" in capsys.readouterr().out


def test_accept_drift_needs_a_run_id(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rollback", "--ledger", str(tmp_path), "--accept-drift"])
    assert exited.value.code == 2
    assert main(["rollback", "--ledger", str(tmp_path), "--accept-drift", "nope"]) == 2
    assert "no run nope" in capsys.readouterr().err


def test_accept_drift_refuses_a_live_run_without_force(lam, tmp_path, capsys) -> None:
    ledger = Ledger(tmp_path / "l")
    run_id = _drift(lam, ledger, capsys)
    assert main(["rollback", "--ledger", str(ledger.directory), "--accept-drift", run_id]) == 4
    assert "still running" in capsys.readouterr().out
    assert ledger.load(run_id).pending and _locked(lam, "orders")


def test_accept_drift_leaves_changes_never_restored(lam, tmp_path, capsys) -> None:
    ledger = Ledger(tmp_path / "l")
    run_id = _inject(ledger, "orders")  # pending, but no restore was tried: not drift
    args = ["rollback", "--ledger", str(ledger.directory), "--accept-drift", run_id, "--force"]
    assert main(args) == 4
    out = capsys.readouterr().out
    assert "no change in drift" in out and f"chaosrun rollback --run {run_id}" in out
    assert ledger.load(run_id).pending and _locked(lam, "orders")
    assert _reserved(lam, "orders") == 0


def test_accept_drift_of_chosen_entries(lam, tmp_path, capsys) -> None:
    ledger = Ledger(tmp_path / "l")
    run_id = _drift(lam, ledger, capsys)
    base = ["rollback", "--ledger", str(ledger.directory), "--accept-drift", run_id, "--force"]
    assert main([*base, "--entry", "nope"]) == 2
    assert "not a drifted change of" in capsys.readouterr().err
    assert ledger.load(run_id).pending

    entry_id = ledger.load(run_id).pending[0].intent.entry_id
    assert main([*base, "--entry", entry_id]) == 0
    assert not ledger.load(run_id).pending


def test_accept_drift_records_nothing_when_the_lock_stays(lam, tmp_path, capsys, monkeypatch):
    ledger = Ledger(tmp_path / "l")
    run_id = _drift(lam, ledger, capsys)

    def refuse(self, targets) -> None:
        raise PermissionError("tag:UntagResources denied")

    monkeypatch.setattr("chaosrun.aws.locks.TagLocks.release", refuse)
    args = ["rollback", "--ledger", str(ledger.directory), "--accept-drift", run_id, "--force"]
    assert main(args) == 4
    out = capsys.readouterr().out
    assert "could not remove the lock tags" in out and "nothing accepted" in out
    assert ledger.load(run_id).pending[0].last_result.status is RestoreStatus.DRIFT
