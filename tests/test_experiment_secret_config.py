"""``{type: env, key: X, secret: true}`` configuration: accepted by the loader and masked in the
journal and the console when the experiment is loaded from a file (not just handed to Runner)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from chaosrun.cli.main import main
from chaosrun.experiment.loader import load_experiment, validate_file
from chaosrun.experiment.model import EnvConfig

PASSWORD = "Db-Passw0rd-77"

EXPERIMENT = """
title: secret configuration
description: d
configuration:
  dbpass: {type: env, key: CHAOSRUN_TEST_DB_PASS, secret: true}
  plain: {type: env, key: CHAOSRUN_TEST_PLAIN, default: visible-value}
method:
  - type: action
    name: echo-password
    provider:
      type: python
      module: os.path
      func: join
      arguments: {a: "db=${dbpass} plain=${plain}"}
  - type: action
    name: fail-with-password
    provider:
      type: python
      module: os
      func: stat
      arguments: {path: "/nonexistent/${dbpass}"}
"""


@pytest.fixture
def experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHAOSRUN_TEST_DB_PASS", PASSWORD)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "secret.yaml"
    path.write_text(textwrap.dedent(EXPERIMENT).lstrip())
    return path


def test_secret_marker_is_accepted(experiment: Path) -> None:
    assert validate_file(experiment) == []
    dbpass = (load_experiment(experiment).model.configuration or {})["dbpass"]
    assert isinstance(dbpass, EnvConfig) and dbpass.secret


def test_secret_marker_must_be_a_boolean(experiment: Path) -> None:
    experiment.write_text(experiment.read_text().replace("secret: true", "secret: 'yes'"))
    (found,) = validate_file(experiment)
    assert (found.line, found.field) == (4, "configuration.dbpass.secret")
    assert "boolean" in found.message


def test_secret_configuration_is_masked_end_to_end(
    experiment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal_path = experiment.parent / "journal.json"
    main(["run", str(experiment), "--journal", str(journal_path)])
    out = capsys.readouterr()
    text = journal_path.read_text()
    journal = json.loads(text)
    assert PASSWORD not in text
    assert PASSWORD not in out.out + out.err
    assert journal["run"][0]["output"] == "db=*** plain=visible-value"
    assert "***" in "".join(journal["run"][1]["exception"])


def test_a_variable_overriding_a_secret_entry_is_masked(
    experiment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--var dbpass=X`` replaces the whole entry, marker included (as chaoslib does); the
    loader keeps the key so the run still masks what the variable gave."""
    journal_path = experiment.parent / "journal.json"
    override = "Var-Passw0rd-88"
    main(["run", str(experiment), "--journal", str(journal_path), "--var", f"dbpass={override}"])
    out = capsys.readouterr()
    text = journal_path.read_text()
    assert override not in text
    assert override not in out.out + out.err
    assert json.loads(text)["run"][0]["output"] == "db=*** plain=visible-value"
    assert load_experiment(experiment, {"dbpass": override}).secret_config_keys == ("dbpass",)
