"""A tolerance whose optional package is missing is an error at validation, with the fix."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from chaosrun.errors import ExperimentInvalid
from chaosrun.experiment.loader import load_experiment

EXPERIMENT = """\
title: jsonpath tolerance
method: []
steady-state-hypothesis:
  title: h
  probes:
    - type: probe
      name: p
      tolerance:
        type: jsonpath
        path: $.ok
        expect: true
      provider: {type: python, module: os.path, func: exists, arguments: {path: /}}
"""


def test_missing_jsonpath2_is_reported_with_the_install_command(tmp_path: Path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "jsonpath2" else real(name, *a),
    )
    path = tmp_path / "e.yaml"
    path.write_text(EXPERIMENT)
    with pytest.raises(ExperimentInvalid) as err:
        load_experiment(path)
    assert f"{path}:9: steady-state-hypothesis.probes[0].tolerance.type" in str(err.value)
    assert "pip install 'chaosrun[jsonpath]'" in str(err.value)


def test_installed_jsonpath2_loads(tmp_path: Path) -> None:
    pytest.importorskip("jsonpath2")
    path = tmp_path / "e.yaml"
    path.write_text(EXPERIMENT)
    assert load_experiment(path).raw["title"] == "jsonpath tolerance"
