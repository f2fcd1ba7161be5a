"""``reports/index.html``: every run found in a reports directory, newest first, with a trend
per experiment (an inline SVG sparkline: bar height = duration, bar colour *and* title = verdict).

Runs are the journals (``*.json``) in the directory; a journal's HTML report is the file with the
same stem and ``.html`` next to it. JSON files that are not journals are ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from chaosrun.gameday.score import service_scores
from chaosrun.journal.model import Journal
from chaosrun.report.charts import Spark, sparkline
from chaosrun.report.common import VerdictInfo, format_duration, restore_summary, verdict_info
from chaosrun.report.templating import render

log = logging.getLogger(__name__)

INDEX_NAME = "index.html"


@dataclass
class RunRow:
    run_id: str
    title: str
    experiment: str
    start: datetime
    duration: float
    verdict: VerdictInfo
    restore: str
    html: str | None
    journal: str
    sandbox: bool


@dataclass
class Trend:
    experiment: str
    title: str
    runs: int
    latest: VerdictInfo
    held: int
    spark: Spark
    label: str


def load_journals(reports_dir: Path) -> list[tuple[Path, Journal]]:
    """Every readable journal in ``reports_dir`` (not recursive), oldest first."""
    found = []
    for path in sorted(reports_dir.glob("*.json")):
        try:
            found.append((path, Journal.from_file(str(path))))
        except (ValidationError, ValueError, OSError) as exc:
            log.debug("not a journal, skipped: %s (%s)", path, exc)
    found.sort(key=lambda pj: pj[1].start)
    return found


def _rows(reports_dir: Path, journals: list[tuple[Path, Journal]]) -> list[RunRow]:
    rows = []
    for path, j in journals:
        html = path.with_suffix(".html")
        rows.append(
            RunRow(
                run_id=j.chaosrun.run_id,
                title=j.title,
                experiment=j.chaosrun.experiment_file or j.title,
                start=j.start,
                duration=j.duration,
                verdict=verdict_info(j),
                restore=restore_summary(j).text(),
                html=html.name if html.exists() else None,
                journal=path.name,
                sandbox=j.chaosrun.environment.sandbox,
            )
        )
    return rows


def _trends(rows: list[RunRow]) -> list[Trend]:
    groups: dict[str, list[RunRow]] = {}
    for r in rows:
        groups.setdefault(r.experiment, []).append(r)
    trends = []
    for key, runs in sorted(groups.items()):
        spark = sparkline(
            [
                (
                    r.verdict.css,
                    r.duration,
                    f"{r.start:%Y-%m-%d %H:%M} {r.verdict.label}, {format_duration(r.duration)}",
                )
                for r in runs
            ]
        )
        held = sum(1 for r in runs if r.verdict.css == "held")
        label = f"Trend of {len(runs)} runs of {runs[-1].title}: " + ", ".join(
            r.verdict.label.lower() for r in runs[-40:]
        )
        trends.append(Trend(key, runs[-1].title, len(runs), runs[-1].verdict, held, spark, label))
    return trends


def write_index(reports_dir: Path) -> Path:
    """Write ``<reports_dir>/index.html`` and return its path."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    journals = load_journals(reports_dir)
    rows = _rows(reports_dir, journals)
    generated = datetime.now().astimezone()
    html = render(
        "index.html.j2",
        rows=list(reversed(rows)),
        trends=_trends(rows),
        scores=service_scores([j for _, j in journals], generated),
        generated=generated,
    )
    target = reports_dir / INDEX_NAME
    tmp = target.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    return target
