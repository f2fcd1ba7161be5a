"""JUnit XML for CI: one suite per run, one test case per steady-state check and per restore.

Test cases:

- ``steady-state before: <probe>`` and ``steady-state after: <probe>`` -- one per probe;
- ``steady-state during: <probe>`` -- all during-method checks of a probe aggregated, the
  failures listed in the failure text;
- ``restore: <fault activity> -> <target>`` -- failure on drift, failed or missing restore;
  skipped for dry runs, error when injection itself failed;
- ``run`` -- an error when the run was aborted.

The shape follows the common JUnit schema (``testsuites/testsuite/testcase`` with
``failure``/``error``/``skipped``/``system-out``) that Jenkins, GitLab and GitHub reporters read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from chaosrun.journal.model import Journal, Verdict
from chaosrun.report.common import (
    activity_name,
    compact,
    during_stats,
    format_time,
    probe_passed,
    tolerance_of,
)

#: failures listed in a during-check case before "... and N more"
MAX_LISTED = 50


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_") or "experiment"


class _Suite:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.el = ET.Element("testsuite")
        self.props = ET.SubElement(self.el, "properties")
        self.tests = self.failures = self.errors = self.skipped = 0
        self.classname = f"chaosrun.{_slug(journal.title)}"

    def prop(self, name: str, value: object) -> None:
        ET.SubElement(self.props, "property", name=name, value=str(value))

    def case(self, group: str, name: str, time: float = 0.0) -> ET.Element:
        self.tests += 1
        return ET.SubElement(
            self.el,
            "testcase",
            classname=f"{self.classname}.{group}",
            name=name,
            time=f"{max(time, 0.0):.3f}",
        )

    def fail(
        self, case: ET.Element, kind: str, message: str, text: str, tag: str = "failure"
    ) -> None:
        if tag == "failure":
            self.failures += 1
        else:
            self.errors += 1
        el = ET.SubElement(case, tag, message=message[:500], type=kind)
        el.text = text

    def skip(self, case: ET.Element, message: str) -> None:
        self.skipped += 1
        ET.SubElement(case, "skipped", message=message)


def _suite(journal: Journal) -> _Suite:
    s = _Suite(journal)
    cr = journal.chaosrun
    s.el.set("name", journal.title)
    s.el.set("id", cr.run_id)
    s.el.set("timestamp", journal.start.replace(tzinfo=None).isoformat(timespec="seconds"))
    s.el.set("hostname", cr.environment.host or journal.node)
    s.el.set("time", f"{journal.duration:.3f}")
    for name, value in (
        ("run_id", cr.run_id),
        ("verdict", cr.verdict.value),
        ("exit_code", cr.exit_code),
        ("experiment_file", cr.experiment_file or ""),
        ("account_id", cr.environment.account_id or ""),
        ("regions", ",".join(cr.environment.regions)),
        ("sandbox", str(cr.environment.sandbox).lower()),
    ):
        s.prop(name, value)

    for phase, chk in (
        ("before", journal.steady_states.before),
        ("after", journal.steady_states.after),
    ):
        if chk is None:
            continue
        for run in chk.probes:
            case = s.case(
                f"steady_state.{phase}",
                f"steady-state {phase}: {activity_name(run)}",
                run.duration or 0.0,
            )
            if not probe_passed(run):
                msg = (
                    f"{activity_name(run)} = {compact(run.output, 120)} outside tolerance "
                    f"{compact(tolerance_of(run), 120)}"
                    if run.status == "succeeded"
                    else f"{activity_name(run)} {run.status}"
                )
                s.fail(case, "SteadyStateDeviated", msg, "".join(run.exception or []) or msg)

    for st in during_stats(journal):
        case = s.case("steady_state.during", f"steady-state during: {st.probe}")
        if st.failed:
            lines = [
                f"{format_time(f.at)} value={compact(f.output, 120)} ({f.status})"
                for f in st.failures[:MAX_LISTED]
            ]
            if len(st.failures) > MAX_LISTED:
                lines.append(f"... and {len(st.failures) - MAX_LISTED} more")
            s.fail(
                case,
                "SteadyStateDeviated",
                f"{st.failed} of {st.checks} checks outside tolerance {compact(st.tolerance, 120)}",
                "\n".join(lines),
            )
        out = ET.SubElement(case, "system-out")
        out.text = (
            f"{st.checks} checks, {st.passed} passed, {st.failed} failed; "
            f"min {st.minimum}, max {st.maximum}"
        )

    for fault, target in journal.restores():
        t = target.target
        case = s.case("restore", f"restore: {fault.activity} -> {t.name} ({t.region})")
        result = target.restore
        if fault.dry_run:
            s.skip(case, "dry run: nothing was changed")
        elif target.error and target.injected_at is None:
            s.fail(case, "InjectionFailed", target.error, target.error, tag="error")
        elif result is None:
            if target.injected_at is not None:
                s.fail(
                    case, "NotRestored", "the change was not restored", "run `chaosrun rollback`"
                )
        elif not result.ok:
            msg = f"{result.status.value}: {result.detail}".strip(": ")
            text = f"{result.detail}\ncurrent: {compact(result.current, 400)}"
            s.fail(case, f"Restore{result.status.value.capitalize()}", msg, text)
        out = ET.SubElement(case, "system-out")  # after failure/error/skipped (schema order)
        out.text = (
            f"{t.arn}\nbefore: {compact(target.before, 400)}\napplied: {compact(target.after, 400)}"
        )

    if cr.verdict == Verdict.ABORTED:
        case = s.case("run", "run")
        s.fail(case, "RunAborted", cr.reason or "run aborted", "\n".join(cr.errors), tag="error")

    s.el.set("tests", str(s.tests))
    s.el.set("failures", str(s.failures))
    s.el.set("errors", str(s.errors))
    s.el.set("skipped", str(s.skipped))
    return s


def render_junit(journal: Journal | list[Journal]) -> str:
    """JUnit XML for one journal or several (one ``testsuite`` each)."""
    journals = journal if isinstance(journal, list) else [journal]
    root = ET.Element("testsuites", name="chaosrun")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    time = 0.0
    for j in journals:
        s = _suite(j)
        root.append(s.el)
        totals["tests"] += s.tests
        totals["failures"] += s.failures
        totals["errors"] += s.errors
        totals["skipped"] += s.skipped
        time += j.duration
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
