"""The game-day report: HTML (self-contained, same style and CSP as run reports) and Markdown.

Built from the :class:`GameDayRecord` and the journals of its experiments only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from chaosrun.gameday.record import GameDayRecord
from chaosrun.gameday.score import ExperimentScore
from chaosrun.journal.model import Journal, Verdict
from chaosrun.report.common import VERDICTS
from chaosrun.report.markdown import _cell as cell
from chaosrun.report.templating import TEMPLATES, environment

VERDICT_WORDS: dict[Verdict, str] = {v: info.label.lower() for v, info in VERDICTS.items()}


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    here = Path(__file__).with_name("templates")
    return environment().overlay(
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(str(here)), jinja2.FileSystemLoader(str(TEMPLATES))]
        )
    )


def timeline(record: GameDayRecord, journals: dict[int, Journal]) -> list[tuple[str, str, str]]:
    """One shared timeline: (time, what, detail) from every journal's events and the notes."""
    rows: list[tuple[object, str, str]] = []
    for step in record.steps:
        journal = journals.get(step.index)
        if journal is None:
            continue
        for event in journal.chaosrun.events:
            rows.append((event.at, f"{step.title}: {event.kind}", event.message))
    for note in record.notes:
        rows.append((note.at, f"note by {note.author}", note.text))
    rows.sort(key=lambda r: r[0])  # type: ignore[arg-type,return-value]
    return [(f"{at:%H:%M:%S}", what, detail) for at, what, detail in rows]


def render_gameday_html(
    record: GameDayRecord,
    journals: dict[int, Journal],
    scores: list[ExperimentScore] | None = None,
) -> str:
    return (
        _env()
        .get_template("gameday.html.j2")
        .render(
            record=record,
            journals=journals,
            timeline=timeline(record, journals),
            words=VERDICT_WORDS,
            verdicts=VERDICTS,
            scores=scores or [],
        )
    )


def render_gameday_markdown(
    record: GameDayRecord, scores: list[ExperimentScore] | None = None
) -> str:
    """GitHub-flavoured Markdown for a PR comment or ``$GITHUB_STEP_SUMMARY``."""
    people = f"Owner: {record.owner}"
    if record.coordinator:
        people += f" · coordinator: {record.coordinator}"
    if record.observers:
        people += f" · observers: {', '.join(record.observers)}"
    out = [
        f"## Game day: {cell(record.title)} — {record.status}",
        "",
        cell(record.purpose),
        "",
        people,
        "",
        "| # | Experiment | Status | Verdict |",
        "|---|---|---|---|",
    ]
    for s in record.steps:
        verdict = VERDICT_WORDS[s.verdict] if s.verdict else "-"
        out.append(f"| {s.index} | {cell(s.title)} | {s.status} | {verdict} |")
    if record.halt_reason:
        out += ["", f"**Ended early:** {cell(record.halt_reason)}"]
    out += ["", "### Findings"]
    findings = record.findings
    out += [
        f"- **{cell(f.experiment)}** ({VERDICT_WORDS[f.verdict]}): {cell(f.summary)}"
        for f in findings
    ] or ["- none: every experiment that ran held its steady state"]
    out += ["", "### Action items"]
    out += [f"- [ ] {cell(a)}" for a in record.action_items] or ["- none recorded"]
    if scores:
        out += ["", "### Resilience score", "", "| Experiment | Score | Runs |", "|---|---|---|"]
        out += [f"| {cell(s.experiment)} | {s.score:.1f} | {s.runs} |" for s in scores]
    if record.notes:
        out += ["", "### Notes"]
        out += [f"- {n.at:%H:%M:%S} {cell(n.author)}: {cell(n.text)}" for n in record.notes]
    return "\n".join(out) + "\n"
