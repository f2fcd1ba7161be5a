"""A Markdown summary of one run or many, for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

GitHub-flavoured Markdown: a verdict table (icons *and* words), then for every run that did not
hold its failed checks and unfinished restores, and links to the HTML reports.
"""

from __future__ import annotations

from chaosrun.journal.model import Journal, Verdict
from chaosrun.report.common import (
    VERDICTS,
    compact,
    failed_checks,
    format_duration,
    format_time,
    report_filename,
    restore_summary,
    verdict_info,
)

#: per run, at most this many failed checks are listed
MAX_FAILED = 15


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("\n", " ")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def _link(journal: Journal, link_base: str | None) -> str:
    name = report_filename(journal.chaosrun.run_id)
    return f"{link_base.rstrip('/')}/{name}" if link_base else name


def render_markdown(journal: Journal | list[Journal], *, link_base: str | None = None) -> str:
    """Markdown summary; report links are ``<link_base>/<run_id>.html`` (relative without it)."""
    journals = journal if isinstance(journal, list) else [journal]
    counts = {v: sum(1 for j in journals if j.verdict == v) for v in Verdict}
    worst = max((j.verdict.exit_code for j in journals), default=0)
    lines = ["## chaosrun results", ""]
    if journals:
        parts = [f"{n} {VERDICTS[v].label.lower()}" for v, n in counts.items() if n]
        icon = "\u2714" if worst == 0 else "\u26a0" if worst == 4 else "\u2716"
        lines += [f"{icon} **{len(journals)} run(s)**: {', '.join(parts)}", ""]
    else:
        lines += ["No runs.", ""]
        return "\n".join(lines)
    lines += [
        "| Verdict | Experiment | Duration | Failed checks | Restore | Report |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    for j in journals:
        v = verdict_info(j)
        rs = restore_summary(j)
        restore = ("\u2714 " if rs.ok else "\u26a0 ") + rs.text()
        lines.append(
            f"| {v.icon} **{v.label}** | {_cell(j.title)} | {format_duration(j.duration)} | "
            f"{len(failed_checks(j))} | {_cell(restore)} | "
            f"[{_cell(j.chaosrun.run_id)}]({_link(j, link_base)}) |"
        )
    lines.append("")
    for j in journals:
        if j.verdict == Verdict.HELD:
            continue
        lines += _details(j, link_base)
    return "\n".join(lines).rstrip() + "\n"


def _details(j: Journal, link_base: str | None) -> list[str]:
    v = verdict_info(j)
    out = [f"### {v.icon} {_cell(j.title)} \u2014 {v.label}", ""]
    out.append(f"{v.sentence} {_cell(j.chaosrun.reason)}".rstrip())
    out.append("")
    out.append(
        f"Run `{j.chaosrun.run_id}` started {format_time(j.start)}, "
        f"exit code {j.chaosrun.exit_code}. [Full report]({_link(j, link_base)})"
    )
    out.append("")
    failed = failed_checks(j)
    if failed:
        out += ["**Failed checks**", "", "| Phase | When | Probe | Value | Tolerance |"]
        out.append("| --- | --- | --- | --- | --- |")
        for f in failed[:MAX_FAILED]:
            offset = format_duration((f.at - j.start).total_seconds())
            out.append(
                f"| {f.phase} | +{offset} | {_cell(f.probe)} | `{_cell(compact(f.output, 60))}` "
                f"| `{_cell(compact(f.tolerance, 60))}` |"
            )
        if len(failed) > MAX_FAILED:
            out.append(f"\n\u2026 and {len(failed) - MAX_FAILED} more in the report.")
        out.append("")
    problems = [(fr, t) for fr, t in j.restores() if t.restore is None or not t.restore.ok]
    problems = [(fr, t) for fr, t in problems if not fr.dry_run and t.injected_at is not None]
    if problems:
        out += ["**Restore problems**", "", "| Fault | Target | Status | Current value | Detail |"]
        out.append("| --- | --- | --- | --- | --- |")
        for fr, t in problems:
            status = t.restore.status.value if t.restore else "not restored"
            current = compact(t.restore.current, 80) if t.restore else "\u2013"
            detail = t.restore.detail if t.restore else ""
            out.append(
                f"| {_cell(fr.activity)} | {_cell(t.target.name)} ({_cell(t.target.region)}) | "
                f"\u26a0 {status} | `{_cell(current)}` | {_cell(compact(detail, 160))} |"
            )
        out.append("")
    bad_measurements = [m for m in j.chaosrun.measurements if m.ok is False]
    if bad_measurements:
        out += ["**Measurements out of bounds**", ""]
        for m in bad_measurements:
            out.append(f"- {_cell(m.name)}: {compact(m.value)} {m.unit} (bound {m.bound} {m.unit})")
        out.append("")
    if j.chaosrun.errors:
        out += ["**Errors**", ""] + [f"- {_cell(compact(e, 300))}" for e in j.chaosrun.errors]
        out.append("")
    return out
