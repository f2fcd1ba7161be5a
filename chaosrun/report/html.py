"""One self-contained HTML report per run, built from the journal alone.

No scripts, fonts or images from elsewhere: inline CSS, inline SVG charts, and a
Content-Security-Policy that forbids every fetch. Long runs are summarised (per-probe statistics
of the during-method checks plus the failures) and series are down-sampled for the charts.
"""

from __future__ import annotations

from typing import Any

from chaosrun.journal.model import Journal
from chaosrun.report.charts import timeline_charts
from chaosrun.report.common import (
    activity_name,
    during_stats,
    probe_passed,
    restore_summary,
    tolerance_of,
    verdict_info,
)
from chaosrun.report.templating import render

#: at most this many failed during-checks are listed one by one
MAX_FAILURE_ROWS = 200


def _phase_rows(journal: Journal) -> list[dict[str, Any]]:
    rows = []
    for phase, chk in (
        ("before", journal.steady_states.before),
        ("after", journal.steady_states.after),
    ):
        rows.append(
            {
                "phase": phase,
                "check": chk,
                "probes": [
                    {
                        "name": activity_name(run),
                        "tolerance": tolerance_of(run),
                        "output": run.output,
                        "ok": probe_passed(run),
                        "status": run.status,
                        "exception": run.exception,
                    }
                    for run in (chk.probes if chk else [])
                ],
            }
        )
    return rows


def _phase_failures(journal: Journal) -> int:
    """Failed probe runs before and after the method (the during ones are in the stats)."""
    checks = (journal.steady_states.before, journal.steady_states.after)
    return sum(not probe_passed(run) for chk in checks if chk for run in chk.probes)


def render_html(journal: Journal) -> str:
    """The HTML report of one run, as a string (UTF-8 when written)."""
    stats = during_stats(journal)
    failures = [f for s in stats for f in s.failures]
    failures.sort(key=lambda f: f.at)
    exp = journal.experiment
    raw_tags = exp.get("tags")
    tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
    return render(
        "report.html.j2",
        j=journal,
        cr=journal.chaosrun,
        env=journal.chaosrun.environment,
        v=verdict_info(journal),
        title=journal.title,
        description=str(exp.get("description") or ""),
        tags=[str(t) for t in tags],
        hypothesis_title=str((exp.get("steady-state-hypothesis") or {}).get("title") or ""),
        phases=_phase_rows(journal),
        stats=stats,
        during_checks=len(journal.steady_states.during),
        during_failed=sum(1 for c in journal.steady_states.during if not c.steady_state_met),
        failures=failures[:MAX_FAILURE_ROWS],
        failures_more=max(0, len(failures) - MAX_FAILURE_ROWS),
        failed_total=len(failures) + _phase_failures(journal),
        restores=restore_summary(journal),
        charts=timeline_charts(journal),
        activity_name=activity_name,
    )
