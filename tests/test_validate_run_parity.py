"""``chaosrun validate`` finds what ``chaosrun run`` would refuse as invalid input (exit 2):
hypothesis schedule conflicts and python providers chaoslib cannot prepare."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from chaoslib.activity import ensure_activity_is_valid

from chaosrun.engine.schedule import hypothesis_schedule
from chaosrun.errors import InvalidInput, ValidationIssue
from chaosrun.experiment.extensions import Monitoring
from chaosrun.experiment.loader import validate_file

SCHEDULE = """
title: t
description: d
runtime:
  hypothesis:
    strategy: continuously
    frequency: 2
    fail_fast: false
chaosrun:
  monitoring:
    interval: 3
    fail_fast: true
method:
  - type: action
    name: a
    provider: {type: process, path: "true"}
"""


def write(tmp_path: Path, text: str, name: str = "e.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def by_field(issues: list[ValidationIssue]) -> dict[str, ValidationIssue]:
    return {i.field: i for i in issues}


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def engine_refusal(raw: dict[str, Any]) -> str:
    monitoring = Monitoring.model_validate((raw.get("chaosrun") or {}).get("monitoring") or {})
    with pytest.raises(InvalidInput) as info:
        hypothesis_schedule(raw, monitoring)
    return str(info.value)


# -- hypothesis schedule ----------------------------------------------------------------------


def test_frequency_and_interval_both_set_is_reported_as_the_run_words_it(tmp_path: Path) -> None:
    path = write(tmp_path, SCHEDULE.replace("    fail_fast: true\n", ""))
    found = by_field(validate_file(path))
    issue = found["runtime.hypothesis.frequency"]
    assert (issue.file, issue.line) == (str(path), line_of(path, "frequency:"))
    assert issue.message == engine_refusal(yaml.safe_load(path.read_text()))
    assert "runtime.hypothesis.fail_fast" not in found


def test_disagreeing_fail_fast_is_reported_as_the_run_words_it(tmp_path: Path) -> None:
    path = write(tmp_path, SCHEDULE.replace("    frequency: 2\n", ""))
    found = by_field(validate_file(path))
    issue = found["runtime.hypothesis.fail_fast"]
    assert issue.line == line_of(path, "fail_fast: false")
    assert issue.message == engine_refusal(yaml.safe_load(path.read_text()))
    assert "runtime.hypothesis.frequency" not in found


def test_both_schedule_conflicts_are_reported_together(tmp_path: Path) -> None:
    found = by_field(validate_file(write(tmp_path, SCHEDULE)))
    assert {"runtime.hypothesis.frequency", "runtime.hypothesis.fail_fast"} <= set(found)


def test_agreeing_schedule_blocks_validate(tmp_path: Path) -> None:
    text = SCHEDULE.replace("    interval: 3\n", "").replace("fail_fast: false", "fail_fast: true")
    assert validate_file(write(tmp_path, text)) == []


# -- python providers -------------------------------------------------------------------------


def experiment(provider: str, section: str = "method") -> str:
    head = "title: t\ndescription: d\n"
    if section == "hypothesis":
        return head + textwrap.dedent(
            f"""\
            steady-state-hypothesis:
              title: h
              probes:
                - type: probe
                  name: p
                  tolerance: true
                  provider: {provider}
            method: []
            """
        )
    body = f"  - type: action\n    name: a\n    provider: {provider}\n"
    if section == "rollbacks":
        return head + "method: []\nrollbacks:\n" + body
    return head + "method:\n" + body


def activity_of(path: Path) -> dict[str, Any]:
    raw = yaml.safe_load(path.read_text())
    hypothesis = raw.get("steady-state-hypothesis")
    return (hypothesis["probes"] if hypothesis else raw["method"] or raw["rollbacks"])[0]


BAD_PROVIDERS = [
    pytest.param(
        "{type: python, module: time, func: sleep, arguments: {secs: 0}}",
        "provider.func",
        "cannot read the signature of time.sleep",
        id="builtin-without-signature",
    ),
    pytest.param(
        "{type: python, module: no_such_module_xyz, func: f}",
        "provider.module",
        "cannot import Python module 'no_such_module_xyz'",
        id="module-not-importable",
    ),
    pytest.param(
        "{type: python, module: os.path, func: exitss, arguments: {path: /}}",
        "provider.func",
        "'os.path' has no function 'exitss'; did you mean 'exists'?",
        id="function-missing",
    ),
    pytest.param(
        "{type: python, module: random, func: uniform, arguments: {a: 0, b: 1}}",
        "provider.func",
        "random.uniform is a method, not a function",
        id="bound-method",
    ),
    pytest.param(
        "{type: python, module: os.path, func: exists}",
        "provider",
        "missing required argument 'path' of os.path.exists",
        id="argument-missing",
    ),
    pytest.param(
        "{type: python, module: os.path, func: exists, arguments: {path: /, paht: /}}",
        "provider.arguments.paht",
        "unexpected argument 'paht' for os.path.exists",
        id="argument-unexpected",
    ),
]


@pytest.mark.parametrize(("provider", "field", "needle"), BAD_PROVIDERS)
@pytest.mark.parametrize("section", ["method", "rollbacks", "hypothesis"])
def test_python_providers_run_refuses_are_reported(
    tmp_path: Path, provider: str, field: str, needle: str, section: str
) -> None:
    path = write(tmp_path, experiment(provider, section))
    with pytest.raises(Exception):  # noqa: B017 - what `chaosrun run` does with it
        ensure_activity_is_valid(activity_of(path))
    issues = validate_file(path)
    prefix = {"method": "method[0]", "rollbacks": "rollbacks[0]"}.get(
        section, "steady-state-hypothesis.probes[0]"
    )
    found = by_field(issues)
    assert f"{prefix}.{field}" in found, [str(i) for i in issues]
    issue = found[f"{prefix}.{field}"]
    assert needle in issue.message
    assert issue.file == str(path) and issue.line is not None


GOOD_PROVIDERS = [
    "{type: python, module: os.path, func: exists, arguments: {path: '${where}'}}",
    "{type: python, module: os, func: getcwd}",
    "{type: python, module: json, func: dumps, arguments: {obj: 1, indent: 2}}",
]


@pytest.mark.parametrize("provider", GOOD_PROVIDERS)
def test_python_providers_run_accepts_validate(tmp_path: Path, provider: str) -> None:
    path = write(
        tmp_path, experiment(provider).replace("method:", "configuration: {where: /}\nmethod:")
    )
    ensure_activity_is_valid(activity_of(path))
    assert validate_file(path) == []


def test_configuration_and_secrets_parameters_are_supplied_by_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "user_probes_cs.py").write_text(
        "def check(url, configuration=None, secrets=None):\n    return True\n"
        "def needs(configuration, secrets):\n    return True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for provider in (
        "{type: python, module: user_probes_cs, func: check, arguments: {url: x}}",
        "{type: python, module: user_probes_cs, func: needs}",
    ):
        path = write(tmp_path, experiment(provider))
        ensure_activity_is_valid(activity_of(path))
        assert validate_file(path) == [], provider


def test_a_module_failing_at_import_is_an_issue_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "user_probes_boom.py").write_text("raise RuntimeError('no database')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = write(tmp_path, experiment("{type: python, module: user_probes_boom, func: f}"))
    issue = by_field(validate_file(path))["method[0].provider.module"]
    assert "importing Python module 'user_probes_boom' failed" in issue.message
    assert "RuntimeError: no database" in issue.message


def test_dynamic_configuration_probes_are_left_to_the_run(tmp_path: Path) -> None:
    """A failing dynamic-configuration probe leaves its key unset (a warning), the run goes on."""
    text = experiment("{type: python, module: os, func: getcwd}").replace(
        "method:",
        "configuration:\n  k:\n    type: probe\n    name: d\n"
        "    provider: {type: python, module: time, func: sleep, arguments: {secs: 0}}\nmethod:",
        1,
    )
    assert validate_file(write(tmp_path, text)) == []


def test_registered_chaosrun_plugins_are_checked_by_their_parameter_models(
    tmp_path: Path,
) -> None:
    provider = "{type: python, module: chaosrun.probes.http, func: endpoint, arguments: {urll: x}}"
    issues = validate_file(write(tmp_path, experiment(provider)))
    assert [i.field for i in issues if "provider.func" in i.field] == []
    assert all("chaosrun.probes.http" in i.message for i in issues), [str(i) for i in issues]


def test_a_hypothesis_probe_tolerance_probe_is_checked(tmp_path: Path) -> None:
    text = experiment("{type: python, module: os, func: getcwd}", "hypothesis").replace(
        "tolerance: true",
        "tolerance:\n        type: probe\n        name: tp\n"
        "        provider: {type: python, module: time, func: sleep, arguments: {secs: 0}}",
    )
    path = write(tmp_path, text)
    found = by_field(validate_file(path))
    assert "steady-state-hypothesis.probes[0].tolerance.provider.func" in found


def test_cli_validate_exits_2_with_located_issues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from chaosrun.cli import cmd_validate

    bad = write(tmp_path, SCHEDULE, "sched.yaml")
    nap = write(tmp_path, experiment("{type: python, module: time, func: sleep}"), "nap.yaml")
    parser = argparse.ArgumentParser(prog="chaosrun")
    cmd_validate.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["validate", str(bad), str(nap)])
    assert args.handler(args) == 2
    out = capsys.readouterr().out
    assert f"{bad}:{line_of(bad, 'frequency:')}: runtime.hypothesis.frequency: " in out
    assert f"{nap}:{line_of(nap, 'provider:')}: method[0].provider.func: cannot read" in out
