"""Which alert events a finished journal implies, and what they say (pure functions)."""

from __future__ import annotations

from journal_factory import aborted_journal, deviated_journal, held_journal, traffic_journal

from chaosrun.alerts.config import Condition
from chaosrun.alerts.events import (
    PRIORITY,
    SEVERITY,
    AlertContext,
    AlertEvent,
    dedup_key,
    details,
    events_for_journal,
    summary,
    triggered_in,
)


def names(events):
    return [e.name for e in events]


def test_severity_and_priority_mapping():
    assert SEVERITY == {
        Condition.RESTORE_FAILED: "critical",
        Condition.ABORTED: "error",
        Condition.DEVIATION: "warning",
        Condition.ANNOUNCEMENT: "info",
    }
    assert PRIORITY[Condition.RESTORE_FAILED] == "P1" and PRIORITY[Condition.DEVIATION] == "P3"
    assert AlertEvent(condition=Condition.DEVIATION, action="resolve").severity == "info"
    assert dedup_key("r-1", Condition.DEVIATION) == "chaosrun-r-1-deviation"


def test_held_run_implies_nothing_and_resolves_what_was_open():
    assert events_for_journal(held_journal()) == []
    resolved = events_for_journal(held_journal(), {Condition.DEVIATION, Condition.ABORTED})
    assert names(resolved) == ["aborted:resolve", "deviation:resolve"]


def test_restore_incomplete_and_unrecovered_deviation():
    j = deviated_journal()
    j.chaosrun.alerts.clear()
    assert names(events_for_journal(j)) == ["restore_failed:trigger", "deviation:trigger"]


def test_already_alerted_conditions_are_not_triggered_again():
    j = deviated_journal()  # records a delivered deviation:trigger
    assert triggered_in(j) == {Condition.DEVIATION}
    assert names(events_for_journal(j)) == ["restore_failed:trigger"]


def test_recovered_deviation_is_triggered_then_resolved():
    j = traffic_journal(seconds=60, checks=60, probes=2, hz=1)
    events = events_for_journal(j)
    assert names(events) == ["deviation:trigger", "deviation:resolve"]
    assert "recovered" in events[1].message


def test_aborted_run():
    assert names(events_for_journal(aborted_journal())) == ["aborted:trigger"]


def test_restore_completed_later_resolves_restore_alert():
    assert names(events_for_journal(aborted_journal(), {Condition.RESTORE_FAILED})) == [
        "restore_failed:resolve",
        "aborted:trigger",
    ]


def test_content_has_key_figures_and_report_link():
    ctx = AlertContext.from_journal(deviated_journal(), "https://r.example/runs/")
    event = AlertEvent(condition=Condition.RESTORE_FAILED)
    assert summary(event, ctx).startswith("[chaosrun] Restore incomplete: Orders API")
    d = details(event, ctx)
    assert d["report"] == "https://r.example/runs/20261128T100000Z-dev042.html"
    assert d["account"] == "123456789012" and d["failed_checks"] == "7"
    assert d["restore"] == "1/3 restored, 1 drifted, 1 failed"
    assert "payments-worker [eu-west-1]: drift" in d["restore_problems"]
    assert d["measurement RTO"] == "14.2 s (bound 10.0)"
    assert all(isinstance(v, str) for v in d.values())
