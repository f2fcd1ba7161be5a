"""Reusable steady-state hypotheses: ``steady-state-hypothesis: {use: NAME, with: {...}}``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chaosrun.errors import ExperimentInvalid, ValidationIssue
from chaosrun.experiment.hypotheses import ENV_PATH, search_path
from chaosrun.experiment.loader import load_experiment

REPO = Path(__file__).resolve().parents[1]

HYPOTHESIS = """
title: Endpoint is {kind}
description: checks an endpoint
parameters:
  url: {description: where to look, required: true}
  status: {description: expected status, default: 200}
  timeout: {default: 3}
probes:
  - type: probe
    name: answers
    tolerance: "${status}"
    provider:
      type: http
      url: "${url}/health?token=${token}"
      timeout: "${timeout}"
"""

EXPERIMENT = """
title: t
configuration:
  api_url: http://127.0.0.1:9
  token: abc
steady-state-hypothesis:
  use: endpoint
  with: %s
method: []
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(ENV_PATH, raising=False)
    write(tmp_path / "steady_state" / "endpoint.yaml", HYPOTHESIS.replace("{kind}", "local"))
    return tmp_path


def experiment(project: Path, with_: str) -> Path:
    return write(project / "exp.yaml", EXPERIMENT % with_)


def issues_of(path: Path) -> list[ValidationIssue]:
    with pytest.raises(ExperimentInvalid) as info:
        load_experiment(path)
    return info.value.issues


def test_use_expands_to_plain_hypothesis(project: Path) -> None:
    loaded = load_experiment(experiment(project, '{url: "${api_url}", status: 204}'))
    assert loaded.raw["steady-state-hypothesis"] == {
        "title": "Endpoint is local",
        "probes": [
            {
                "type": "probe",
                "name": "answers",
                "tolerance": 204,  # a whole-string parameter keeps its type
                "provider": {
                    "type": "http",
                    # parameters substituted, configuration references left for the run
                    "url": "${api_url}/health?token=${token}",
                    "timeout": 3,
                },
            }
        ],
    }
    assert loaded.hypothesis_source == project / "steady_state" / "endpoint.yaml"
    hypo = loaded.model.steady_state_hypothesis
    assert hypo is not None and hypo.probes[0].tolerance == 204


def test_expanded_probe_lines_point_into_hypothesis_file(project: Path) -> None:
    loaded = load_experiment(experiment(project, "{url: http://x}"))
    file, line = loaded.locate("steady-state-hypothesis.probes[0].provider.url")
    assert file == str(project / "steady_state" / "endpoint.yaml")
    assert line == 13
    assert loaded.locate("steady-state-hypothesis")[0] == str(project / "exp.yaml")


def test_error_inside_expanded_probe_names_hypothesis_file(project: Path) -> None:
    write(
        project / "steady_state" / "endpoint.yaml",
        HYPOTHESIS.replace("{kind}", "x").replace('timeout: "${timeout}"', "timout: 3"),
    )
    issues = issues_of(experiment(project, "{url: http://x}"))
    [bad] = [i for i in issues if i.field.endswith("timout")]
    assert bad.file == str(project / "steady_state" / "endpoint.yaml")
    assert bad.line == 14
    assert "did you mean 'timeout'?" in bad.message


def test_unknown_parameter_is_reported_with_suggestion(project: Path) -> None:
    p = write(
        project / "exp.yaml",
        (EXPERIMENT % "\n    url: http://x\n    stauts: 500").replace("\n\n", "\n"),
    )
    [bad] = issues_of(p)
    assert bad.field == "steady-state-hypothesis.with.stauts"
    assert bad.file == str(p) and bad.line == 9
    assert "unknown parameter 'stauts'; did you mean 'status'?" in bad.message


def test_missing_required_parameter(project: Path) -> None:
    issues = issues_of(experiment(project, "{status: 200}"))
    [bad] = [i for i in issues if "missing required parameter" in i.message]
    assert "'url'" in bad.message and "where to look" in bad.message
    assert bad.field == "steady-state-hypothesis.with" and bad.line == 7


def test_unknown_hypothesis_name_suggests(project: Path) -> None:
    p = write(project / "exp.yaml", (EXPERIMENT % "{}").replace("use: endpoint", "use: endpont"))
    [bad] = issues_of(p)
    assert bad.field == "steady-state-hypothesis.use" and bad.line == 6
    assert bad.message == "no steady-state hypothesis 'endpont' found; did you mean 'endpoint'?"


def test_unknown_key_next_to_use(project: Path) -> None:
    p = write(
        project / "exp.yaml",
        (EXPERIMENT % "{url: x}").replace("use: endpoint", "use: endpoint\n  wiht: {}"),
    )
    bad = next(i for i in issues_of(p) if i.field == "steady-state-hypothesis.wiht")
    assert "did you mean 'with'?" in bad.message


def test_placeholder_that_is_neither_parameter_nor_configuration(project: Path) -> None:
    p = write(project / "exp.yaml", (EXPERIMENT % "{url: x}").replace("  token: abc\n", ""))
    [bad] = issues_of(p)
    assert bad.file == str(project / "steady_state" / "endpoint.yaml")
    assert "${token} is neither a parameter" in bad.message


def test_broken_hypothesis_file(project: Path) -> None:
    write(project / "steady_state" / "endpoint.yaml", "title: x\nparameters: {}\nprobs: []\n")
    issues = issues_of(experiment(project, "{}"))
    files = {i.file for i in issues}
    assert files == {str(project / "steady_state" / "endpoint.yaml")}
    assert any(i.message == "unknown key 'probs'; did you mean 'probes'?" for i in issues)


def test_search_order_local_then_env(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path_factory.mktemp("shared")
    write(elsewhere / "endpoint.yaml", HYPOTHESIS.replace("{kind}", "shared"))
    write(elsewhere / "other.yaml", HYPOTHESIS.replace("{kind}", "other"))
    monkeypatch.setenv(ENV_PATH, str(elsewhere))
    assert search_path(project / "exp.yaml")[0] == project / "steady_state"
    assert elsewhere in search_path(project / "exp.yaml")
    local = load_experiment(experiment(project, "{url: x}"))
    assert local.raw["steady-state-hypothesis"]["title"] == "Endpoint is local"
    p = write(
        project / "exp.yaml", (EXPERIMENT % "{url: x}").replace("use: endpoint", "use: other")
    )
    assert load_experiment(p).raw["steady-state-hypothesis"]["title"] == "Endpoint is other"


def test_repository_steady_state_is_searched(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / "steady_state" / "endpoint.yaml", HYPOTHESIS.replace("{kind}", "repo"))
    p = write(tmp_path / "experiments" / "deep" / "exp.yaml", EXPERIMENT % "{url: x}")
    assert load_experiment(p).raw["steady-state-hypothesis"]["title"] == "Endpoint is repo"


def test_shipped_http_availability(tmp_path: Path) -> None:
    p = write(
        tmp_path / "exp.yaml",
        """
        title: t
        configuration: {api_url: "http://127.0.0.1:9"}
        steady-state-hypothesis:
          use: http-availability
          with: {url: "${api_url}/ping", timeout_s: 0.5}
        method: []
        """,
    )
    loaded = load_experiment(p)
    assert loaded.hypothesis_source == REPO / "steady_state" / "http-availability.yaml"
    [probe] = loaded.raw["steady-state-hypothesis"]["probes"]
    assert probe["tolerance"] == 200
    assert probe["provider"] == {
        "type": "http",
        "url": "${api_url}/ping",
        "method": "GET",
        "timeout": 0.5,
        "verify_tls": True,
    }


def test_bad_parameter_value_is_located_at_its_with_entry(project: Path) -> None:
    p = write(
        project / "exp.yaml", (EXPERIMENT % "\n    url: x\n    timeout: soon").replace("\n\n", "\n")
    )
    [bad] = issues_of(p)
    assert bad.field == "steady-state-hypothesis.probes[0].provider.timeout"
    assert (bad.file, bad.line) == (str(p), 9)
    assert "got string 'soon'" in bad.message


def test_unresolved_use_does_not_flag_refs_to_its_probes(project: Path) -> None:
    text = (EXPERIMENT % "{url: x}").replace("use: endpoint", "use: nowhere")
    p = write(project / "exp.yaml", text.replace("method: []", "method:\n  - ref: answers"))
    [bad] = issues_of(p)
    assert bad.field == "steady-state-hypothesis.use"
