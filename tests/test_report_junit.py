"""JUnit XML: parses, has the documented cases and counts, follows the common schema's shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from journal_factory import aborted_journal, deviated_journal, held_journal

from chaosrun.report.junit import render_junit

ALLOWED_CASE_CHILDREN = ["skipped", "error", "failure", "system-out", "system-err"]


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in suite.findall("testcase")}


def test_held_run_has_one_case_per_check_and_restore_none_failing():
    root = ET.fromstring(render_junit(held_journal()))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = _cases(suite)
    # 2 probes x (before, during, after) + 1 restore
    assert len(cases) == 7 == int(suite.get("tests", "0"))
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    assert "steady-state during: orders-api-p99-ms" in cases
    assert "restore: throttle-payments -> payments (eu-west-1)" in cases


def test_deviated_run_failures():
    root = ET.fromstring(render_junit(deviated_journal()))
    suite = root.find("testsuite")
    assert suite is not None
    cases = _cases(suite)
    assert len(cases) == 9  # 6 checks + 3 restores
    failing = {n for n, c in cases.items() if c.find("failure") is not None}
    assert failing == {
        "steady-state during: orders-api-success-ratio",
        "steady-state during: orders-api-p99-ms",
        "steady-state after: orders-api-success-ratio",
        "restore: throttle-payments -> payments-worker (eu-west-1)",
        "restore: throttle-inventory -> inventory-sync (eu-west-1)",
    }
    assert suite.get("failures") == "5"
    during = cases["steady-state during: orders-api-success-ratio"].find("failure")
    assert during is not None and during.get("message", "").startswith("3 of 8 checks")
    assert during.text and during.text.count("value=0.62") == 3
    drift = cases["restore: throttle-payments -> payments-worker (eu-west-1)"].find("failure")
    assert drift is not None and drift.get("type") == "RestoreDrift"
    assert '"reserved_concurrency": 25' in (drift.text or "")


def test_several_journals_several_suites_and_totals():
    root = ET.fromstring(render_junit([held_journal(), deviated_journal(), aborted_journal()]))
    suites = root.findall("testsuite")
    assert len(suites) == 3
    assert int(root.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in suites)
    assert int(root.get("failures", "0")) == 5
    assert int(root.get("errors", "0")) == 1  # the aborted run
    aborted = _cases(suites[2])["run"].find("error")
    assert aborted is not None and "SIGINT" in aborted.get("message", "")


def test_schema_shape():
    root = ET.fromstring(render_junit([held_journal(), deviated_journal(), aborted_journal()]))
    for suite in root.findall("testsuite"):
        for attr in ("name", "tests", "failures", "errors", "time", "timestamp"):
            assert suite.get(attr) is not None, attr
        children = [c.tag for c in suite]
        assert children[0] == "properties"
        assert set(children[1:]) == {"testcase"}
        for case in suite.findall("testcase"):
            assert case.get("classname") and case.get("name") and case.get("time")
            tags = [c.tag for c in case]
            assert all(t in ALLOWED_CASE_CHILDREN for t in tags)
            assert tags == sorted(tags, key=ALLOWED_CASE_CHILDREN.index), tags
            assert sum(t in ("skipped", "error", "failure") for t in tags) <= 1
