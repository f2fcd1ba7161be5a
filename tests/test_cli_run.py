"""``chaosrun run`` end to end: a real subprocess against a moto server on 127.0.0.1, stopped by
SIGINT/SIGTERM mid-method; plus in-process runs for outputs, dry run and combined verdicts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from lambda_fixtures import handler_zip
from moto.server import ThreadedMotoServer

from chaosrun.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def server(monkeypatch):
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto's backends are process-wide: start every test from an empty account
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    iam = boto3.client("iam", endpoint_url=endpoint)
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda", region_name="us-east-1", endpoint_url=endpoint)
    lam.create_function(
        FunctionName="orders",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": handler_zip()},
    )
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=25)
    yield endpoint, lam
    srv.stop()


def _reserved(lam) -> int | None:
    return lam.get_function_concurrency(FunctionName="orders").get("ReservedConcurrentExecutions")


def experiment(pause: float = 0, title: str = "throttle orders") -> dict[str, Any]:
    throttle: dict[str, Any] = {
        "type": "action",
        "name": "throttle",
        "provider": {
            "type": "python",
            "module": "chaosrun.faults.awslambda",
            "func": "throttle",
            "arguments": {"names": ["orders"], "reserved_concurrency": 0},
        },
    }
    if pause:
        throttle["pauses"] = {"after": pause}
    return {"title": title, "description": "d", "method": [throttle]}


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def subprocess_env(endpoint: str, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        CHAOSRUN_HOME=str(home),
        PYTHONPATH=str(ROOT),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


def start_run(exp: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "chaosrun", "run", str(exp), "--journal", str(cwd / "j.json")],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_throttled(lam, proc: subprocess.Popen[str]) -> None:
    """Poll (not a timing assertion: the bound only keeps a broken run from hanging)."""
    for _ in range(600):
        if _reserved(lam) == 0:
            return
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.communicate()}")
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the fault was never injected")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_method_restores_and_exits_3(server, tmp_path, sig) -> None:
    endpoint, lam = server
    exp = write(tmp_path / "exp.yaml", experiment(pause=600))
    proc = start_run(exp, subprocess_env(endpoint, tmp_path / "home"), tmp_path)
    wait_until_throttled(lam, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert _reserved(lam) == 25
    journal = json.loads((tmp_path / "j.json").read_text())
    assert journal["status"] == "interrupted"
    assert journal["chaosrun"]["verdict"] == "aborted"
    assert sig.name in journal["chaosrun"]["reason"]
    assert journal["chaosrun"]["faults"][0]["targets"][0]["restore"]["status"] == "restored"
    assert "aborted" in out  # the summary table


@pytest.mark.slow
def test_kill_9_then_rollback_restores_exactly(server, tmp_path) -> None:
    endpoint, lam = server
    env = subprocess_env(endpoint, tmp_path / "home")
    exp = write(tmp_path / "exp.yaml", experiment(pause=600))
    proc = start_run(exp, env, tmp_path)
    wait_until_throttled(lam, proc)
    proc.kill()
    proc.communicate(timeout=60)  # reaped: its pid no longer counts as alive
    assert _reserved(lam) == 0  # killed runs cannot restore themselves

    rollback = [sys.executable, "-m", "chaosrun", "rollback"]
    first = subprocess.run(rollback, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "restored" in first.stdout
    assert _reserved(lam) == 25
    arn = lam.get_function(FunctionName="orders")["Configuration"]["FunctionArn"]
    assert "chaosrun:lock" not in lam.list_tags(Resource=arn)["Tags"]

    second = subprocess.run(rollback, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0
    assert "nothing to restore" in second.stdout
    assert _reserved(lam) == 25


def test_run_in_process_writes_outputs_and_summary(server, tmp_path, capsys, monkeypatch) -> None:
    _endpoint, lam = server
    monkeypatch.chdir(tmp_path)
    a = write(tmp_path / "a.yaml", experiment(title="a"))
    b = write(tmp_path / "b.yaml", experiment(title="b"))
    code = main(["run", str(a), str(b), "--reports-dir", str(tmp_path / "out")])
    assert code == 0
    out = capsys.readouterr().out
    assert "a.yaml" in out and "b.yaml" in out and "held" in out
    journals = [f for f in (tmp_path / "out").glob("*.json") if not f.name.startswith("index")]
    assert len(journals) == 2
    journal = json.loads(journals[0].read_text())
    assert journal["chaosrun"]["verdict"] == "held"
    run_id = journal["chaosrun"]["run_id"]
    for suffix in (".html", ".junit.xml", ".md"):
        assert (tmp_path / "out" / f"{run_id}{suffix}").is_file()
    assert f"{run_id}.html" in (tmp_path / "out" / "index.html").read_text()
    assert (tmp_path / "out" / "summary.md").is_file()
    assert (tmp_path / "out" / "junit.xml").is_file()
    assert _reserved(lam) == 25


def test_one_invalid_file_in_a_batch_runs_nothing(server, tmp_path, capsys, monkeypatch) -> None:
    _endpoint, lam = server
    monkeypatch.chdir(tmp_path)
    good = write(tmp_path / "a.yaml", experiment(title="a", pause=5))
    bad = tmp_path / "b.yaml"
    bad.write_text("title: b\nmehtod: []\n")
    arn = lam.get_function(FunctionName="orders")["Configuration"]["FunctionArn"]
    before = lam.list_tags(Resource=arn)["Tags"]
    assert main(["run", str(good), str(bad), "--reports-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: mehtod" in err and "nothing was run" in err
    assert not (tmp_path / "out").exists()
    assert _reserved(lam) == 25 and lam.list_tags(Resource=arn)["Tags"] == before


def test_dry_run_prints_changes_and_permissions(server, tmp_path, capsys, monkeypatch) -> None:
    _endpoint, lam = server
    monkeypatch.chdir(tmp_path)
    exp = write(tmp_path / "exp.yaml", experiment())
    assert main(["run", str(exp), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "nothing was changed" in out
    assert "{'reserved_concurrency': 25} -> {'reserved_concurrency': 0}" in out
    assert "lambda:PutFunctionConcurrency" in out
    assert _reserved(lam) == 25
    assert json.loads((tmp_path / "journal.json").read_text())["chaosrun"]["dry_run"]


def test_dry_run_lists_the_permissions_of_the_probes_too(server, tmp_path, capsys, monkeypatch):
    """A dry run runs no probe, but the real run will: their permissions are listed as well."""
    _endpoint, _lam = server
    monkeypatch.chdir(tmp_path)
    exp = experiment()
    exp["steady-state-hypothesis"] = {
        "title": "no alarm",
        "probes": [
            {
                "type": "probe",
                "name": "alarms",
                "tolerance": {"type": "jsonpath", "path": "$.state", "expect": "OK"},
                "provider": {
                    "type": "python",
                    "module": "chaosrun.probes.cloudwatch",
                    "func": "alarm_state",
                    "arguments": {"alarm_names": ["orders-errors"]},
                },
            }
        ],
    }
    assert main(["run", str(write(tmp_path / "exp.yaml", exp)), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  cloudwatch:DescribeAlarms" in out and "  lambda:PutFunctionConcurrency" in out


@pytest.mark.sandbox
def test_sandbox_flag_runs_against_a_fresh_sandbox(tmp_path, capsys, monkeypatch) -> None:
    """--sandbox starts the sandbox, points AWS settings at it, and stops it afterwards."""
    exp = experiment(title="sandboxed")
    exp["method"][0]["provider"]["arguments"] = {
        "names": ["orders-health"],
        "reserved_concurrency": 0,
    }
    exp["chaosrun"] = {"expect": "held"}
    path = write(tmp_path / "exp.yaml", exp)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    code = main(
        ["run", str(path), "--sandbox", "--check-expected", "--journal", str(tmp_path / "j.json")]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    journal = json.loads((tmp_path / "j.json").read_text())
    assert journal["chaosrun"]["environment"]["sandbox"] is True
    assert journal["chaosrun"]["environment"]["endpoint_url"].startswith("http://127.0.0.1:")
    assert "held (yes)" in out.out
    assert "AWS_ENDPOINT_URL" not in __import__("os").environ  # restored after the run
