"""Loading experiment files: CTK compatibility, located issues, suggestions, variables."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaosrun.errors import ExperimentInvalid, InvalidInput, ValidationIssue
from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.experiment.loader import (
    load_experiment,
    parse_field_path,
    parse_variables,
    validate_file,
)
from chaosrun.experiment.model import Experiment, HttpProvider, ProcessProvider
from chaosrun.journal.model import Verdict

FIXTURES = Path(__file__).parent / "fixtures" / "experiments"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def issues_of(path: Path, variables: dict[str, Any] | None = None) -> list[ValidationIssue]:
    with pytest.raises(ExperimentInvalid) as info:
        load_experiment(path, variables)
    assert info.value.issues, "ExperimentInvalid must carry issues"
    return info.value.issues


def one(issues: list[ValidationIssue], field: str) -> ValidationIssue:
    found = [i for i in issues if i.field == field]
    assert len(found) == 1, f"expected one issue at {field}, got {[str(i) for i in issues]}"
    return found[0]


MINIMAL = """
title: t
description: d
method:
  - type: action
    name: a
    provider: {type: python, module: os, func: getcwd}
"""


# -- Chaos Toolkit experiments load unchanged ------------------------------------------------


def test_ctk_json_experiment_loads_unchanged() -> None:
    path = FIXTURES / "ctk-expired-cert.json"
    loaded = load_experiment(path)
    assert loaded.raw == json.loads(path.read_text())
    assert isinstance(loaded.model, Experiment)
    assert loaded.model.title.startswith("What is the impact")
    assert isinstance(loaded.model.method[0].provider, ProcessProvider)  # type: ignore[union-attr]
    assert loaded.settings == ChaosrunSettings()


def test_ctk_yaml_experiment_loads_unchanged() -> None:
    path = FIXTURES / "ctk-full.yaml"
    loaded = load_experiment(path)
    assert loaded.raw == yaml.safe_load(path.read_text())
    hypo = loaded.model.steady_state_hypothesis
    assert hypo is not None and len(hypo.probes) == 6
    health = hypo.probes[0].provider
    assert isinstance(health, HttpProvider) and health.timeout == (1, 3)
    assert loaded.model.runtime is not None and loaded.model.runtime.hypothesis is not None
    assert loaded.model.runtime.hypothesis.strategy == "continuously"


def test_chaosrun_block_becomes_settings() -> None:
    loaded = load_experiment(FIXTURES / "chaosrun-throttle.yaml")
    assert loaded.settings.monitoring.interval == 0.5
    assert loaded.settings.safety.max_targets == 1
    assert loaded.settings.expect is Verdict.DEVIATED
    assert loaded.raw["chaosrun"]["aws"] == {"region": "us-east-1"}


def test_line_of_field_paths_yaml() -> None:
    loaded = load_experiment(FIXTURES / "chaosrun-throttle.yaml")
    assert loaded.line_of("method[0].provider.arguments.reserved_concurrency") == 32
    assert loaded.line_of(("method", 0, "provider", "func")) == 29
    assert loaded.line_of("steady-state-hypothesis.probes[0].tolerance") == 20
    # an absent field falls back to its nearest present parent
    assert loaded.line_of("method[0].provider.arguments.nothing") == 30


def test_line_of_field_paths_json() -> None:
    loaded = load_experiment(FIXTURES / "ctk-expired-cert.json")
    assert loaded.line_of("steady-state-hypothesis.probes[2].provider.url") == 43
    assert loaded.line_of("rollbacks[2].ref") == 103
    assert loaded.line_of("method[3].pauses.after") == 85


def test_parse_field_path_roundtrip() -> None:
    assert parse_field_path("method[2].provider.arguments.x") == (
        "method",
        2,
        "provider",
        "arguments",
        "x",
    )
    assert parse_field_path("steady-state-hypothesis.probes[0]") == (
        "steady-state-hypothesis",
        "probes",
        0,
    )
    assert parse_field_path("configuration['a b']") == ("configuration", "a b")


# -- misspelled keys -------------------------------------------------------------------------


def test_misspelled_top_level_key_yaml(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        """
        title: t
        description: d
        mehtod: []
        """,
    )
    issues = issues_of(p)
    bad = one(issues, "mehtod")
    assert bad.message == "unknown key 'mehtod'; did you mean 'method'?"
    assert bad.line == 3
    assert bad.file == str(p)
    # method really is missing too, and that is reported as well
    assert any("missing required key 'method'" in i.message for i in issues)


def test_misspelled_nested_key_json(tmp_path: Path) -> None:
    p = tmp_path / "e.json"
    p.write_text(
        '{\n  "title": "t",\n  "method": [\n    {\n      "type": "action",\n'
        '      "name": "a",\n      "provider": {\n        "type": "python",\n'
        '        "module": "os",\n        "func": "getcwd",\n'
        '        "argumnets": {}\n      }\n    }\n  ]\n}\n'
    )
    bad = one(issues_of(p), "method[0].provider.argumnets")
    assert bad.line == 11
    assert "did you mean 'arguments'?" in bad.message


def test_misspelled_key_without_close_match_lists_allowed(tmp_path: Path) -> None:
    p = write(tmp_path, "e.yaml", MINIMAL + "chaosrun: {zzz: 1}\n")
    bad = one(issues_of(p), "chaosrun.zzz")
    assert "expected one of:" in bad.message and "monitoring" in bad.message


def test_misspelled_chaosrun_setting(tmp_path: Path) -> None:
    p = write(tmp_path, "e.yaml", MINIMAL + "chaosrun:\n  safety: {max_target: 3}\n")
    bad = one(issues_of(p), "chaosrun.safety.max_target")
    assert bad.message == "unknown key 'max_target'; did you mean 'max_targets'?"
    assert bad.line == 8


def test_all_issues_are_collected(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        """
        title: t
        tittle: x
        method:
          - type: action
            name: a
            timeout: "3"
            provider: {type: python, module: os, func: getcwd, secret: []}
          - type: probe
            name: b
            backgroud: true
            provider: {type: http, url: "http://x", verify_tsl: false}
        """,
    )
    issues = issues_of(p)
    fields = {i.field for i in issues}
    assert {
        "tittle",
        "method[0].timeout",
        "method[0].provider.secret",
        "method[1].backgroud",
        "method[1].provider.verify_tsl",
    } <= fields
    assert [i.line for i in issues] == sorted(i.line or 0 for i in issues)


# -- wrong types and missing keys -----------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "field", "needle"),
    [
        ("    timeout: '3'\n", "method[0].timeout", "expected a number, got string '3'"),
        ("    timeout: -1\n", "method[0].timeout", "greater than 0"),
        ("    background: 'yes'\n", "method[0].background", "valid boolean"),
        ("    pauses: {before: soon}\n", "method[0].pauses.before", "seconds or a ${variable}"),
        ("    controls: {name: x}\n", "method[0].controls", "valid list"),
    ],
)
def test_wrong_activity_types(tmp_path: Path, snippet: str, field: str, needle: str) -> None:
    p = write(tmp_path, "e.yaml", MINIMAL + snippet)
    bad = one(issues_of(p), field)
    assert needle in bad.message
    assert bad.line == 7


def test_wrong_top_level_types(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        """
        title: 42
        tags: [ok, ""]
        runtime: {rollbacks: {strategy: sometimes}}
        method: {}
        dry: everything
        """,
    )
    issues = issues_of(p)
    assert "valid string" in one(issues, "title").message
    assert one(issues, "tags[1]").line == 2
    assert "'always'" in one(issues, "runtime.rollbacks.strategy").message
    assert "valid list" in one(issues, "method").message
    assert one(issues, "dry").line == 5


def test_missing_title_and_provider_fields(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        """
        description: d
        method:
          - type: action
            name: a
            provider: {type: python, module: os}
        """,
    )
    issues = issues_of(p)
    assert any(i.field == "" and i.message == "missing required key 'title'" for i in issues)
    missing_func = one(issues, "method[0].provider")
    assert missing_func.message == "missing required key 'func'"
    assert missing_func.line == 5


def test_unknown_provider_and_activity_type(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        """
        title: t
        method:
          - type: action
            name: a
            provider: {type: lambda, arn: x}
          - type: step
            name: b
          - just a string
        """,
    )
    issues = issues_of(p)
    assert "'python', 'process', 'http'" in one(issues, "method[0].provider").message
    assert "'action' or 'probe'" in one(issues, "method[1]").message
    assert one(issues, "method[2]").line == 8


def test_configuration_and_secret_forms(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        MINIMAL
        + """
configuration:
  a: {type: env, key: A, env_var_type: integer}
  b: {type: env}
  c: {type: env, key: C, env_var_type: decimal}
  plain_mapping: {x: 1}
secrets:
  s:
    one: {type: vault, path: p, vesion: 2}
    two: {type: env, key: K}
""",
    )
    issues = issues_of(p)
    assert one(issues, "configuration.b").message == "missing required key 'key'"
    assert "'int'" in one(issues, "configuration.c.env_var_type").message
    assert "did you mean 'version'" in one(issues, "secrets.s.one.vesion").message
    assert not [i for i in issues if i.field.startswith("configuration.a")]
    assert not [i for i in issues if "plain_mapping" in i.field]


# -- tolerances ------------------------------------------------------------------------------

PROBE_WITH = """
title: t
method:
  - type: probe
    name: p
    provider: {type: python, module: os, func: getcwd}
    tolerance: %s
"""


@pytest.mark.parametrize(
    "tolerance",
    [
        "true",
        "0",
        "ok",
        "[1, 5]",
        "[200, 201, 204]",
        "{type: range, range: [0.5, 2], target: value}",
        "{type: regex, pattern: '^a+$'}",
        "{type: regex, pattern: '${pattern}'}",
        "{type: jsonpath, path: '$.a', expect: [1], count: 1}",
        "{type: probe, name: q, provider: {type: python, module: m, func: f, arguments: {}}}",
    ],
)
def test_valid_tolerance_forms(tmp_path: Path, tolerance: str) -> None:
    p = write(tmp_path, "e.yaml", PROBE_WITH % tolerance)
    load_experiment(p)


@pytest.mark.parametrize(
    ("tolerance", "field", "needle"),
    [
        ("{type: range, range: [1, 2, 3]}", "method[0].tolerance.range", "[lower, upper]"),
        ("{type: range, range: [a, 2]}", "method[0].tolerance.range[0]", "number"),
        ("{type: range}", "method[0].tolerance", "missing required key 'range'"),
        ("{type: regex, pattern: '(unclosed'}", "method[0].tolerance.pattern", "compile"),
        ("{type: jsonpath}", "method[0].tolerance", "missing required key 'path'"),
        ("{type: between, range: [1, 2]}", "method[0].tolerance", "'range', 'regex'"),
        ("{range: [1, 2]}", "method[0].tolerance", "'range', 'regex'"),
        ("1.5", "method[0].tolerance", "a tolerance is"),
        ("{}", "method[0].tolerance", "a tolerance is"),
        ("{type: regex, pattern: a, targte: x}", "method[0].tolerance.targte", "'target'"),
        ("{type: probe, name: q}", "method[0].tolerance", "missing required key 'provider'"),
    ],
)
def test_bad_tolerance_forms(tmp_path: Path, tolerance: str, field: str, needle: str) -> None:
    p = write(tmp_path, "e.yaml", PROBE_WITH % tolerance)
    bad = one(issues_of(p), field)
    assert needle in bad.message
    assert bad.line == 6


def test_hypothesis_probe_needs_tolerance(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        MINIMAL
        + """
steady-state-hypothesis:
  title: h
  probes:
    - type: probe
      name: p
      provider: {type: python, module: os, func: getcwd}
    - type: action
      name: act
      tolerance: true
      provider: {type: python, module: os, func: getcwd}
""",
    )
    issues = issues_of(p)
    assert (
        "missing required key 'tolerance'"
        in one(issues, "steady-state-hypothesis.probes[0]").message
    )
    assert "'probe'" in one(issues, "steady-state-hypothesis.probes[1].type").message


# -- refs, secret scopes ------------------------------------------------------------------------


def test_ref_to_unknown_activity(tmp_path: Path) -> None:
    p = write(tmp_path, "e.yaml", MINIMAL + "  - ref: b\n  - ref: aa\n")
    issues = issues_of(p)
    assert one(issues, "method[1].ref").message == "ref 'b' names no activity defined before it"
    bad = one(issues, "method[2].ref")
    assert bad.line == 8 and "did you mean 'a'?" in bad.message


def test_ref_to_activity_defined_later(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        """
        title: t
        method:
          - ref: later
          - type: action
            name: later
            provider: {type: python, module: os, func: getcwd}
        rollbacks:
          - ref: later
        """,
    )
    issues = issues_of(p)
    assert "defined later" in one(issues, "method[0].ref").message
    assert len(issues) == 1  # the rollback may repeat any method activity


def test_ref_to_hypothesis_probe_is_valid(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        """
        title: t
        steady-state-hypothesis:
          title: h
          probes:
            - {type: probe, name: hp, tolerance: true,
               provider: {type: python, module: os, func: getcwd}}
        method:
          - ref: hp
        """,
    )
    assert load_experiment(p).raw["method"] == [{"ref": "hp"}]


def test_unknown_secret_scope(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        """
        title: t
        secrets: {aws: {k: v}}
        method:
          - type: action
            name: a
            provider: {type: python, module: os, func: getcwd, secrets: [asw]}
        """,
    )
    bad = one(issues_of(p), "method[0].provider.secrets[0]")
    assert bad.message == "unknown secret scope 'asw'; did you mean 'aws'?"
    assert bad.line == 6


# -- registered faults --------------------------------------------------------------------------

THROTTLE = """
title: t
configuration: {fn: payment}
method:
  - type: action
    name: throttle
    provider:
      type: python
      module: chaosrun.faults.awslambda
      func: throttle
      arguments:
%s
"""


def throttle(tmp_path: Path, arguments: str) -> Path:
    return write(tmp_path, "e.yaml", THROTTLE % textwrap.indent(arguments, " " * 8))


def test_fault_argument_misspelled(tmp_path: Path) -> None:
    p = throttle(tmp_path, "names: [payment]\nreserved_concurency: 0\n")
    bad = one(issues_of(p), "method[0].provider.arguments.reserved_concurency")
    assert bad.line == 12
    assert "did you mean 'reserved_concurrency'?" in bad.message
    assert "chaosrun.faults.awslambda.throttle" in bad.message


def test_fault_argument_wrong_value(tmp_path: Path) -> None:
    p = throttle(tmp_path, "names: [payment]\nreserved_concurrency: -1\n")
    bad = one(issues_of(p), "method[0].provider.arguments.reserved_concurrency")
    assert bad.line == 12 and "greater than or equal to 0" in bad.message


def test_fault_model_level_error_points_at_arguments(tmp_path: Path) -> None:
    p = throttle(tmp_path, "names: [a]\narns: [b]\n")
    bad = one(issues_of(p), "method[0].provider.arguments")
    assert "exactly one of names, arns or tags" in bad.message
    assert bad.line == 10


def test_fault_arguments_with_placeholders_are_left_for_run_time(tmp_path: Path) -> None:
    # names: "${fn}" is a string, not a list: only substitution at run time can tell
    p = throttle(tmp_path, "names: '${fn}'\nreserved_concurrency: 0\n")
    assert load_experiment(p).raw["method"][0]["provider"]["arguments"]["names"] == "${fn}"
    # ... but other arguments are still checked
    p = throttle(tmp_path, "names: '${fn}'\nreserved_concurrency: lots\n")
    assert one(issues_of(p), "method[0].provider.arguments.reserved_concurrency")


def test_unregistered_fault_name_suggests(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        (THROTTLE % "        names: [x]").replace("func: throttle", "func: throtle"),
    )
    bad = one(issues_of(p), "method[0].provider.func")
    assert "did you mean 'chaosrun.faults.awslambda.throttle'?" in bad.message
    assert bad.line == 9


# -- parsing problems ------------------------------------------------------------------------


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    p = write(tmp_path, "e.yaml", "title: t\nmethod:\n  - [unclosed\n")
    [bad] = issues_of(p)
    assert bad.message.startswith("invalid YAML")
    assert bad.line is not None and bad.line >= 3


def test_invalid_json_reports_line(tmp_path: Path) -> None:
    p = tmp_path / "e.json"
    p.write_text('{\n  "title": "t",\n  "method": [,]\n}\n')
    [bad] = issues_of(p)
    assert bad.message.startswith("invalid JSON") and bad.line == 3


def test_json_with_tabs_is_json_not_yaml(tmp_path: Path) -> None:
    p = tmp_path / "e.json"
    p.write_text('{\n\t"title": "t",\n\t"method": []\n}\n')
    assert load_experiment(p).raw == {"title": "t", "method": []}


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    p = write(tmp_path, "e.yaml", MINIMAL + "title: again\n")
    bad = one(issues_of(p), "title")
    assert "duplicate key" in bad.message and bad.line == 7


def test_unsupported_extension_and_missing_file(tmp_path: Path) -> None:
    p = write(tmp_path, "e.toml", "title = 't'\n")
    assert "unsupported file type '.toml'" in issues_of(p)[0].message
    assert "cannot read file" in issues_of(tmp_path / "nope.yaml")[0].message


def test_document_must_be_a_mapping(tmp_path: Path) -> None:
    p = write(tmp_path, "e.yaml", "- a\n- b\n")
    assert "a mapping, not a list" in issues_of(p)[0].message
    p = write(tmp_path, "empty.yaml", "")
    assert "not empty" in issues_of(p)[0].message


def test_validate_file_returns_empty_for_valid(tmp_path: Path) -> None:
    assert validate_file(write(tmp_path, "e.yaml", MINIMAL)) == []


# -- variables ---------------------------------------------------------------------------------


def test_variables_override_configuration(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "e.yaml",
        MINIMAL + "configuration:\n  url: http://a\n  token: {type: env, key: TOKEN}\n",
    )
    loaded = load_experiment(p, {"url": "http://b", "token": "t0k", "extra": 3})
    assert loaded.raw["configuration"] == {"url": "http://b", "token": "t0k", "extra": 3}
    # the file itself is untouched
    assert load_experiment(p).raw["configuration"]["url"] == "http://a"


def test_parse_variables_like_chaos_run(tmp_path: Path) -> None:
    var_file = tmp_path / "vars.json"
    var_file.write_text(json.dumps({"configuration": {"a": 1, "b": 2}, "secrets": {"s": "x"}}))
    config, secrets = parse_variables(["b:int=5", "c=text"], [str(var_file)])
    assert config == {"a": 1, "b": 5, "c": "text"}
    assert secrets == {"s": "x"}
    with pytest.raises(InvalidInput, match="--var"):
        parse_variables(["no-equals-sign"])
    with pytest.raises(InvalidInput, match="no such file"):
        parse_variables([], [str(tmp_path / "missing.yaml")])
