"""Markdown summary for PR comments and $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from journal_factory import aborted_journal, deviated_journal, held_journal

from chaosrun.report.markdown import render_markdown


def test_single_held_run():
    md = render_markdown(held_journal())
    assert "| \u2714 **Held** |" in md
    assert "[20261128T090000Z-held01](20261128T090000Z-held01.html)" in md
    assert "Failed checks**" not in md


def test_many_runs_table_failed_checks_restores_and_links():
    md = render_markdown(
        [held_journal(), deviated_journal(), aborted_journal()], link_base="https://ci.example/r/"
    )
    assert "**3 run(s)**: 1 held, 1 aborted, 1 restore incomplete" in md
    assert md.count("\n| ") >= 4
    assert "https://ci.example/r/20261128T100000Z-dev042.html" in md
    assert "**Failed checks**" in md and "| during | +20.0 s | orders-api-success-ratio |" in md
    assert 'payments-worker (eu-west-1) | \u26a0 drift | `{"reserved_concurrency": 25}`' in md
    assert "\u26a0 failed" in md
    assert "RTO: 14.2 s (bound 10.0 s)" in md
    assert "### \u25a0 Orders API survives a throttled payment function \u2014 Aborted" in md


def test_table_cells_are_escaped():
    j = deviated_journal()
    j.experiment["title"] = "a | b <img>"
    md = render_markdown(j)
    assert "a \\| b &lt;img&gt;" in md
    assert "<img>" not in md


def test_no_runs():
    assert "No runs." in render_markdown([])
