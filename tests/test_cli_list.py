"""``chaosrun list faults|probes``."""

from __future__ import annotations

import json

from chaosrun.cli.main import main
from chaosrun.plugins import FAULTS


def test_list_faults_json(capsys) -> None:
    assert main(["list", "faults", "--json"]) == 0
    items = {i["name"]: i for i in json.loads(capsys.readouterr().out)}
    assert set(items) == set(FAULTS.names())
    throttle = items["chaosrun.faults.awslambda.throttle"]
    params = {p["name"]: p for p in throttle["parameters"]}
    assert params["reserved_concurrency"]["default"] == 0
    assert params["reserved_concurrency"]["type"] == "int"
    assert "0 throttles every invocation" in params["reserved_concurrency"]["description"]
    assert "lambda:PutFunctionConcurrency" in throttle["permissions"]
    assert throttle["summary"].startswith("Throttle Lambda")


def test_list_faults_text(capsys) -> None:
    assert main(["list", "faults"]) == 0
    out = capsys.readouterr().out
    assert "chaosrun.faults.awslambda.throttle" in out
    assert "reserved_concurrency: int (default 0)" in out
    assert "IAM permissions: lambda:PutFunctionConcurrency" in out


def test_list_probes(capsys) -> None:
    assert main(["list", "probes", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert all({"name", "summary", "parameters", "permissions"} <= set(i) for i in items)
