"""Resilience score: bounded, decaying, per experiment and service."""

from __future__ import annotations

from datetime import timedelta

from journal_factory import T0, aborted_journal, deviated_journal, held_journal

from chaosrun.gameday.score import experiment_scores, run_score, service_scores
from chaosrun.journal.model import Verdict


def test_run_scores() -> None:
    assert run_score(held_journal()) == 100.0
    dev = run_score(deviated_journal())
    assert dev is not None and 0 <= dev < 50
    assert run_score(aborted_journal()) is None
    broken = held_journal()
    broken.chaosrun.verdict = Verdict.RESTORE_INCOMPLETE
    assert run_score(broken) == 0.0


def test_fresh_passes_score_100_and_never_more() -> None:
    runs = [held_journal(run_id=f"r{i}", start=T0 + timedelta(hours=i)) for i in range(10)]
    [score] = experiment_scores(runs, now=T0 + timedelta(hours=10))
    assert score.score <= 100.0
    assert score.score > 99.0
    assert not score.stale


def test_stale_results_decay() -> None:
    runs = [held_journal(start=T0)]
    fresh = experiment_scores(runs, now=T0 + timedelta(days=1))[0].score
    old = experiment_scores(runs, now=T0 + timedelta(days=90))[0]
    assert old.score < fresh
    assert old.score < 20 and old.stale


def test_recent_failure_weighs_more_than_old_success() -> None:
    runs = [held_journal(start=T0)]
    late = deviated_journal(start=T0 + timedelta(days=60))
    late.experiment["title"] = runs[0].title
    [score] = experiment_scores([*runs, late], now=T0 + timedelta(days=60, hours=1))
    assert score.score < 50
    assert score.last_verdict is late.chaosrun.verdict


def test_service_scores_group_by_tag() -> None:
    a = held_journal(run_id="a")
    a.experiment["tags"] = ["service:orders"]
    a.experiment["title"] = "orders throttle"
    b = deviated_journal(run_id="b")
    b.experiment["tags"] = ["service:orders"]
    b.experiment["title"] = "orders iam"
    [svc] = service_scores([a, b], now=T0 + timedelta(hours=2))
    assert svc.service == "orders"
    assert len(svc.experiments) == 2
    assert 0 < svc.score < 100
