"""CTK's runtime.hypothesis strategies (with frequency, fail_fast, fail_fast_ratio) and
chaosrun.monitoring, merged into when the hypothesis is checked."""

from __future__ import annotations

from typing import Any

import pytest
from engine_support import action, experiment, probe, py, reset_script, run

from chaosrun.engine.schedule import CTK_FREQUENCY, hypothesis_schedule
from chaosrun.errors import InvalidInput
from chaosrun.experiment.extensions import Monitoring
from chaosrun.journal.model import Verdict
from chaosrun.ledger import Ledger


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    return Ledger(tmp_path / "ledger")


def _runtime(**hypothesis: Any) -> dict[str, Any]:
    return {"runtime": {"hypothesis": hypothesis}}


def _schedule(monitoring: dict[str, Any] | None = None, **hypothesis: Any):
    return hypothesis_schedule(_runtime(**hypothesis), Monitoring.model_validate(monitoring or {}))


@pytest.mark.parametrize(
    ("strategy", "before", "during", "after"),
    [
        ("default", True, False, True),
        ("before-method-only", True, False, False),
        ("after-method-only", False, False, True),
        ("during-method-only", False, True, False),
        ("continuously", True, True, True),
        ("skip", False, False, False),
    ],
)
def test_ctk_strategies(strategy, before, during, after) -> None:
    s = _schedule(strategy=strategy)
    assert (s.before, s.interval is not None, s.after) == (before, during, after)
    if during:
        assert s.interval == CTK_FREQUENCY and s.check_at_start and not s.fail_fast


def test_frequency_and_fail_fast_are_read() -> None:
    s = _schedule(strategy="continuously", frequency=0.2, fail_fast=True, fail_fast_ratio=0.5)
    assert (s.interval, s.fail_fast, s.fail_fast_ratio) == (0.2, True, 0.5)


def test_chaosrun_monitoring_keeps_its_meaning() -> None:
    s = _schedule({"interval": 3})
    assert (s.before, s.interval, s.after, s.fail_fast, s.check_at_start) == (
        True,
        3.0,
        True,
        True,
        False,
    )
    assert _schedule({"interval": 3}, strategy="during-method-only").interval == 3.0


def test_frequency_and_interval_together_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"runtime.hypothesis.frequency .*monitoring.interval"):
        _schedule({"interval": 2}, strategy="continuously", frequency=1)


def test_contradicting_fail_fast_is_refused() -> None:
    with pytest.raises(InvalidInput, match="disagree"):
        _schedule({"fail_fast": True}, strategy="continuously", fail_fast=False)


# -- runs -------------------------------------------------------------------------------------
def _exp(method_seconds: float, tolerance: Any = True, **hypothesis: Any) -> dict[str, Any]:
    return experiment(
        **_runtime(**hypothesis),
        **{
            "steady-state-hypothesis": {
                "title": "h",
                "probes": [probe("scripted", py("scripted"), tolerance=tolerance)],
            }
        },
        method=[action("wait", py("echo", value=1), pauses={"after": method_seconds})],
    )


def test_during_method_only_with_fail_fast_stops_at_the_first_deviation(ledger) -> None:
    reset_script(False)
    exp = _exp(5.0, strategy="during-method-only", frequency=0.05, fail_fast=True)
    journal = run(exp, ledger)
    assert journal.chaosrun.verdict is Verdict.DEVIATED
    assert journal.steady_states.before is None and journal.steady_states.after is None
    assert len(journal.steady_states.during) == 1
    assert journal.duration < 4  # the pause was cut short


def test_without_fail_fast_the_method_goes_on_and_deviation_is_reported(ledger) -> None:
    reset_script(False)
    journal = run(_exp(0.5, strategy="during-method-only", frequency=0.05), ledger)
    assert journal.chaosrun.verdict is Verdict.DEVIATED
    assert len(journal.steady_states.during) >= 3
    assert all(not c.steady_state_met for c in journal.steady_states.during)
    assert journal.run[0].status == "succeeded"
    assert not [e for e in journal.chaosrun.events if e.kind == "abort"]


def test_first_check_runs_as_the_method_starts(ledger) -> None:
    reset_script(True)
    journal = run(_exp(0.3, strategy="continuously", frequency=30), ledger)
    assert journal.chaosrun.verdict is Verdict.HELD
    assert journal.steady_states.before is not None and journal.steady_states.after is not None
    assert len(journal.steady_states.during) == 1


def test_fail_fast_ratio_counts_deviated_checks(ledger) -> None:
    reset_script(True, True, False, False, True)  # before, then checks during the method
    exp = _exp(5.0, strategy="continuously", frequency=0.05, fail_fast=True, fail_fast_ratio=0.6)
    journal = run(exp, ledger)
    met = [c.steady_state_met for c in journal.steady_states.during]
    assert met == [True, False, False]  # 1/2 deviated is below 0.6, 2/3 is not
    assert journal.chaosrun.verdict is Verdict.DEVIATED
