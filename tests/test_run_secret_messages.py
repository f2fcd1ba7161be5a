"""Secrets stay out of what a run prints and logs outside its journal: run-time validation errors
(values quoted after ``${...}`` substitution), unexpected errors, and dynamic configuration notes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_support import action, experiment, probe, py, run

from chaosrun.cli.main import main
from chaosrun.engine import runner as runner_module
from chaosrun.engine.options import RunOptions
from chaosrun.engine.runner import run_experiment
from chaosrun.engine.scrub import Scrubber, scrubbed_logs
from chaosrun.errors import InvalidInput
from chaosrun.experiment.loader import load_experiment
from chaosrun.ledger import Ledger

SECRET = "hunter2-very-secret"


def _leaky(tmp_path: Path) -> Path:
    """A route53 fault whose ``how`` is a secret that its parameter model rejects."""
    provider = {
        "type": "python",
        "module": "chaosrun.faults.route53",
        "func": "force_failover",
        "secrets": ["aws"],
        "arguments": {"ids": ["abc"], "how": "${tok}"},
    }
    exp = {
        "title": "leak",
        "description": "d",
        "secrets": {"aws": {"tok": SECRET}},
        "method": [{"type": "action", "name": "failover", "provider": provider}],
    }
    path = tmp_path / "leak.yaml"
    path.write_text(yaml.safe_dump(exp))
    return path


def test_a_run_time_validation_error_masks_substituted_secrets(tmp_path, capsys) -> None:
    assert main(["run", "--dry-run", str(_leaky(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "how: expected 'unreachable' or 'invert', got string '***'" in err
    assert SECRET not in err


def test_the_invalid_input_raised_by_the_runner_is_masked(tmp_path) -> None:
    loaded = load_experiment(_leaky(tmp_path), {})
    options = RunOptions(dry_run=True, handle_signals=False, locate=loaded.locate)
    with pytest.raises(InvalidInput) as raised:
        run_experiment(loaded.raw, loaded.settings, options=options)
    assert SECRET not in str(raised.value)
    assert "***" in str(raised.value)


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError(f"token {SECRET} rejected")


@pytest.mark.parametrize(
    ("broken", "said"),
    [("evaluate_dynamic", "could not be prepared"), ("build_journal", "failed after it started")],
)
def test_an_unexpected_error_masks_secrets(
    tmp_path, capsys, caplog, monkeypatch, broken, said
) -> None:
    monkeypatch.setattr(runner_module, broken, _boom)
    exp = {
        "title": "t",
        "description": "d",
        "secrets": {"s": {"tok": SECRET}},
        "method": [action("a", py("echo", value="x"))],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(exp))
    caplog.set_level(logging.INFO, logger="chaosrun.cli.cmd_run")
    main(["run", str(path), "--journal", str(tmp_path / "j.json")])
    err = capsys.readouterr().err
    assert said in err
    assert "RuntimeError: token *** rejected" in err
    assert SECRET not in err
    records = [r for r in caplog.records if r.name == "chaosrun.cli.cmd_run"]
    assert records  # the traceback is logged (-v), masked
    for record in records:
        assert SECRET not in record.getMessage() + (record.exc_text or "")


def test_dynamic_configuration_notes_name_the_key_not_the_value(tmp_path) -> None:
    exp = experiment(
        configuration={"api_token": probe("fetch-token", py("echo", value=SECRET))},
        method=[action("use", py("echo", value="${api_token}"))],
    )
    journal = run(exp, Ledger(tmp_path / "ledger"))
    notes = journal.chaosrun.notes
    assert "configuration 'api_token' set by probe 'fetch-token' (python provider)" in notes
    assert not any(SECRET in note for note in notes)


@pytest.mark.parametrize(
    "name", ["chaosrun.faults.runtime", "chaosrun.alerts.dispatch", "chaosrun.alerts.sinks"]
)
def test_fault_and_alert_logs_are_scrubbed_during_a_run(caplog, name) -> None:
    scrubber = Scrubber()
    scrubber.add(SECRET)
    caplog.set_level(logging.DEBUG, logger=name)
    with scrubbed_logs(scrubber):
        logging.getLogger(name).warning("sink said %s", SECRET)
    assert [r.getMessage() for r in caplog.records if r.name == name] == ["sink said ***"]
