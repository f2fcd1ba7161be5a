"""``chaosrun run --dry-run`` with count/percent: the random seed is printed, and pinning it
makes the real run pick the targets the dry run showed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from lambda_fixtures import execution_role, make_function
from moto import mock_aws

from chaosrun.cli.main import main

NAMES = ["a", "b", "c", "d", "e", "f"]


def _experiment(path: Path, **selection: Any) -> Path:
    throttle = {
        "type": "action",
        "name": "throttle-one",
        "provider": {
            "type": "python",
            "module": "chaosrun.faults.awslambda",
            "func": "throttle",
            "arguments": {"names": NAMES, "reserved_concurrency": 0, **selection},
        },
    }
    path.write_text(yaml.safe_dump({"title": "t", "description": "d", "method": [throttle]}))
    return path


def _targets(out: str) -> list[str]:
    return re.findall(r"lambda:function (\w+) ", out)


@pytest.fixture
def functions(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with mock_aws():
        role = execution_role()
        for name in NAMES:
            make_function(name, role)
        yield tmp_path


def test_dry_run_prints_the_seed_and_pinning_it_picks_the_same_targets(functions, capsys) -> None:
    exp = _experiment(functions / "exp.yaml", count=2)
    assert main(["run", str(exp), "--dry-run"]) == 0
    out = capsys.readouterr().out
    seed = re.search(r"targets picked at random with seed (\d+): add `seed: \1` to the argu", out)
    assert seed, out
    chosen = _targets(out)
    assert len(chosen) == 2

    pinned = _experiment(functions / "pinned.yaml", count=2, seed=int(seed.group(1)))
    assert main(["run", str(pinned), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"targets picked at random with the pinned seed {seed.group(1)}" in out
    assert _targets(out) == chosen


def test_no_seed_line_without_random_selection(functions, capsys) -> None:
    exp = _experiment(functions / "exp.yaml")
    assert main(["run", str(exp), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert len(_targets(out)) == len(NAMES)
    assert "picked at random" not in out
