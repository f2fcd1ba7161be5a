"""What a plain `chaosrun run` imports (start-up time): no alert sinks, report renderers,
botocore or requests unless the run uses them. Each run is a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
from chaosrun.cli.main import main
code = main(sys.argv[1:])
print(code, sorted(m for m in sys.modules if m in WATCHED or m.startswith("chaosrun.report")))
"""
WATCHED = ["chaosrun.alerts.config", "requests", "boto3", "botocore"]

EXPERIMENT = {
    "title": "one probe",
    "description": "start-up: a python probe",
    "steady-state-hypothesis": {
        "title": "root exists",
        "probes": [
            {
                "type": "probe",
                "name": "root-exists",
                "tolerance": True,
                "provider": {
                    "type": "python",
                    "module": "os.path",
                    "func": "exists",
                    "arguments": {"path": "/"},
                },
            }
        ],
    },
    "method": [{"ref": "root-exists"}],
}


def _run(
    tmp_path: Path, *extra: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()
) -> str:
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps(EXPERIMENT), encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            f"WATCHED = {WATCHED!r}\n{PROBE}",
            "run",
            str(exp),
            "--journal",
            str(tmp_path / "journal.json"),
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={
            **{k: v for k, v in os.environ.items() if k not in unset},
            "CHAOSRUN_HOME": str(tmp_path / "home"),
            "GITHUB_STEP_SUMMARY": "",
            **(env or {}),
        },
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_plain_run_imports_no_alerts_reports_botocore_or_requests(tmp_path: Path) -> None:
    assert _run(tmp_path) == "0 []"


def test_outputs_and_alert_settings_still_load_what_they_need(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "alerts.yaml").write_text("sinks: []\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    loaded = _run(tmp_path, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert "chaosrun.alerts.config" in loaded
    assert "chaosrun.report.markdown" in loaded
    assert "one probe" in summary.read_text(encoding="utf-8")


def test_region_from_a_profile_file_is_not_resolved_for_a_run_without_aws(tmp_path: Path) -> None:
    """Without AWS_REGION, the default region lives in the config file, and reading it means
    boto3 (~100 ms): a run with no AWS activity neither needs nor records it."""
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = eu-central-1\n", encoding="utf-8")
    loaded = _run(
        tmp_path,
        env={"AWS_CONFIG_FILE": str(config)},
        unset=("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"),
    )
    assert loaded == "0 []"
    journal = json.loads((tmp_path / "journal.json").read_text(encoding="utf-8"))
    assert journal["chaosrun"]["environment"]["regions"] == []
