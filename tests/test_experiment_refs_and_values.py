"""Validation agrees with the engine on ``ref`` targets, and misspelled values from a fixed set
(activity, provider and tolerance types, strategies) get a suggestion without hiding the other
errors of the same mapping."""

from __future__ import annotations

import textwrap
from pathlib import Path

from chaosrun.cli.main import main
from chaosrun.errors import ValidationIssue
from chaosrun.experiment.loader import validate_file

PROVIDER = "{type: python, module: os, func: getcwd}"


def issues(tmp_path: Path, text: str) -> dict[str, ValidationIssue]:
    path = tmp_path / "e.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    found = validate_file(path)
    by_field = {i.field: i for i in found}
    assert len(by_field) == len(found), [str(i) for i in found]
    assert all(i.file == str(path) and i.line for i in found)
    return by_field


# -- refs: what the engine can resolve ------------------------------------------------------


def test_rollback_ref_to_an_earlier_rollback_is_invalid(tmp_path: Path, capsys) -> None:
    found = issues(
        tmp_path,
        f"""
        title: t
        method:
          - {{type: action, name: m, provider: {PROVIDER}}}
        rollbacks:
          - {{type: action, name: rb, provider: {PROVIDER}}}
          - ref: rb
          - ref: m
        """,
    )
    assert list(found) == ["rollbacks[1].ref"]
    bad = found["rollbacks[1].ref"]
    assert bad.line == 6
    # the engine's words (chaosrun.engine.activities), so validate and run say the same thing
    assert bad.message.startswith(
        "activity ref 'rb' names no earlier activity; refs point to a hypothesis probe or "
        "method activity by its name"
    )
    assert main(["validate", str(tmp_path / "e.yaml")]) != 0
    out = capsys.readouterr().out
    assert f"{tmp_path / 'e.yaml'}:6: rollbacks[1].ref: activity ref 'rb'" in out


def test_ref_to_a_tolerance_probe_is_invalid(tmp_path: Path) -> None:
    found = issues(
        tmp_path,
        f"""
        title: t
        method:
          - type: probe
            name: p
            provider: {PROVIDER}
            tolerance: {{type: probe, name: check, provider: {PROVIDER}}}
          - ref: check
        """,
    )
    assert list(found) == ["method[1].ref"]
    assert "names no earlier activity" in found["method[1].ref"].message


# -- misspelled values ------------------------------------------------------------------------


def test_misspelled_activity_type_does_not_hide_provider_errors(tmp_path: Path) -> None:
    found = issues(
        tmp_path,
        """
        title: t
        method:
          - type: acton
            name: a
            provider: {type: pyhton, module: m, func: f, argumnets: {}}
        """,
    )
    assert found["method[0].type"].line == 3
    assert found["method[0].type"].message == (
        "expected 'action' or 'probe', got string 'acton'; did you mean 'action'?"
    )
    assert found["method[0].provider.type"].line == 5
    assert found["method[0].provider.type"].message == (
        "expected 'python', 'process' or 'http', got string 'pyhton'; did you mean 'python'?"
    )
    assert "did you mean 'arguments'?" in found["method[0].provider.argumnets"].message
    assert len(found) == 3


def test_misspelled_tolerance_type_and_strategy(tmp_path: Path) -> None:
    found = issues(
        tmp_path,
        f"""
        title: t
        runtime:
          rollbacks: {{strategy: alwys}}
        steady-state-hypothesis:
          title: h
          probes:
            - type: prob
              name: p
              provider: {PROVIDER}
              tolerance: {{type: rnage, range: [1, "a"]}}
        method: []
        """,
    )
    assert "did you mean 'always'?" in found["runtime.rollbacks.strategy"].message
    assert "did you mean 'probe'?" in found["steady-state-hypothesis.probes[0].type"].message
    tolerance = found["steady-state-hypothesis.probes[0].tolerance.type"]
    assert tolerance.line == 10
    assert tolerance.message == (
        "expected 'range', 'regex', 'jsonpath' or 'probe', got string 'rnage'; "
        "did you mean 'range'?"
    )
    assert "steady-state-hypothesis.probes[0].tolerance.range[1]" in found


def test_value_far_from_every_option_lists_them(tmp_path: Path) -> None:
    found = issues(
        tmp_path,
        f"""
        title: t
        runtime:
          rollbacks: {{strategy: sometimes}}
        method:
          - {{type: action, name: a, provider: {PROVIDER}}}
        """,
    )
    assert found["runtime.rollbacks.strategy"].message == (
        "expected 'default', 'always', 'never' or 'deviated', got string 'sometimes'"
    )
