"""What a run does with its inputs besides activities: secrets kept out of the logs, dynamic
configuration evaluated, controls reported as ignored."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from engine_support import action, experiment, probe, py, run

from chaosrun.engine import runner as runner_module
from chaosrun.engine.scrub import Scrubber, scrubbed_logs
from chaosrun.journal.model import Verdict
from chaosrun.ledger import Ledger

ENV_TOKEN = "EnvTok3nXYZ"
INLINE = "S3cr3tInline9"


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    return Ledger(tmp_path / "ledger")


def _secrets(monkeypatch) -> dict[str, Any]:
    monkeypatch.setenv("MY_ENV_TOKEN", ENV_TOKEN)
    return {"api": {"token": INLINE, "envtok": {"type": "env", "key": "MY_ENV_TOKEN"}}}


def _assert_no_secret_logged(caplog) -> None:
    assert caplog.records, "the run logged nothing: the test would prove nothing"
    texts = [caplog.text, *(r.getMessage() for r in caplog.records)]
    texts += [r.exc_text or "" for r in caplog.records]
    for secret in (ENV_TOKEN, INLINE):
        assert not [t for t in texts if secret in t], f"{secret} logged"


# -- secrets in the logs ----------------------------------------------------------------------
def test_secrets_never_reach_the_logs(ledger, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    exp = experiment(
        secrets=_secrets(monkeypatch),
        method=[
            action("echo-proc", {"type": "process", "path": "echo", "arguments": "t=${token}"}),
            probe("leak", py("echo", value="${envtok} ${token}")),
            action("fail-with-secret", py("boom", value="${envtok}")),
        ],
    )
    journal = run(exp, ledger)
    assert journal.chaosrun.verdict is Verdict.ABORTED
    assert any("stopping the run" in r.getMessage() for r in caplog.records)
    _assert_no_secret_logged(caplog)


def test_unexpected_error_traceback_is_scrubbed_in_the_logs(ledger, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    def explode(self, executor, activity) -> None:
        raise RuntimeError(f"engine bug while holding {ENV_TOKEN} and {INLINE}")

    monkeypatch.setattr(runner_module.Runner, "_method_activity", explode)
    exp = experiment(secrets=_secrets(monkeypatch), method=[action("a", py("echo", value=1))])
    journal = run(exp, ledger)
    assert journal.chaosrun.verdict is Verdict.ABORTED
    assert any(r.levelno == logging.ERROR and r.exc_text for r in caplog.records)
    _assert_no_secret_logged(caplog)


def test_the_log_filter_is_removed_after_the_run(ledger, monkeypatch, caplog) -> None:
    before = list(logging.getLogger("chaostoolkit").filters)
    run(experiment(secrets=_secrets(monkeypatch)), ledger)
    assert logging.getLogger("chaostoolkit").filters == before


def test_concurrent_runs_each_mask_their_secrets_in_a_traceback(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    first, second = Scrubber(), Scrubber()
    first.add(ENV_TOKEN)
    second.add(INLINE)
    with scrubbed_logs(first), scrubbed_logs(second):
        try:
            raise RuntimeError(f"{ENV_TOKEN} {INLINE}")
        except RuntimeError:
            logging.getLogger("chaostoolkit").debug("failed", exc_info=True)
    _assert_no_secret_logged(caplog)


# -- dynamic configuration --------------------------------------------------------------------
def test_dynamic_configuration_is_evaluated_before_the_run(ledger) -> None:
    dynamic = probe("where-probe", py("echo", value="eu-west-1"))
    exp = experiment(
        configuration={"where": dynamic},
        method=[action("use", py("echo", value="region=${where}"))],
    )
    journal = run(exp, ledger)
    assert journal.run[0].output == "region=eu-west-1"
    assert any("'where' set by probe 'where-probe'" in n for n in journal.chaosrun.notes)
    assert any(e.message == "dynamic configuration" for e in journal.chaosrun.events)
    assert journal.experiment["configuration"]["where"] == dynamic  # as written, no secrets added


def test_dynamic_configuration_keeps_secrets_masked(ledger, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    exp = experiment(
        secrets=_secrets(monkeypatch),
        configuration={"header": probe("hdr", py("echo", value="Bearer ${envtok}"))},
        method=[action("use", py("echo", value="${header}"))],
    )
    journal = run(exp, ledger)
    assert journal.run[0].output == "Bearer ***"
    assert ENV_TOKEN not in journal.to_json()
    _assert_no_secret_logged(caplog)


def test_failed_dynamic_configuration_is_an_error_in_the_journal(ledger, caplog) -> None:
    exp = experiment(
        configuration={"where": probe("broken", py("boom", value="x"))},
        method=[action("use", py("echo", value="${where}"))],
    )
    journal = run(exp, ledger)
    assert any("'where': probe 'broken' failed" in e for e in journal.chaosrun.errors)
    assert any(r.levelno == logging.WARNING and "broken" in r.getMessage() for r in caplog.records)


def test_dry_run_does_not_evaluate_dynamic_configuration(ledger) -> None:
    exp = experiment(configuration={"where": probe("broken", py("boom", value="x"))})
    journal = run(exp, ledger, dry_run=True)
    assert not journal.chaosrun.errors
    assert any("dynamic configuration not evaluated (where)" in n for n in journal.chaosrun.notes)


# -- controls ---------------------------------------------------------------------------------
def test_ignored_controls_are_reported_at_the_start(ledger, caplog) -> None:
    control = {"name": "safeguard", "provider": {"type": "python", "module": "chaosaddons"}}
    own = {"name": "chaosrun", "provider": {"type": "python", "module": "chaosrun.control"}}
    exp = experiment(
        controls=[control, own],
        method=[action("a", py("echo", value=1), controls=[{**control, "name": "per-activity"}])],
    )
    journal = run(exp, ledger)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    notes = [n for n in journal.chaosrun.notes if "controls are not executed" in n]
    assert len(notes) == 1 and notes[0] in warnings
    assert "'safeguard' (experiment)" in notes[0]
    assert "'per-activity' (activity 'a')" in notes[0]
    assert "chaosrun" not in notes[0].split("ignored:")[1].split(";")[0]  # the engine restores


def test_no_control_no_note(ledger, caplog) -> None:
    journal = run(experiment(method=[action("a", py("echo", value=1))]), ledger)
    assert not [n for n in journal.chaosrun.notes if "controls" in n]
