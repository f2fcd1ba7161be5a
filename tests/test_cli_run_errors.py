"""Unexpected errors never exit 1 (reserved for "hypothesis deviated, all restored"): an output
that cannot be written keeps the run's code (or makes it 3), an experiment that chaoslib
cannot prepare is invalid input (2), anything else is 3 with a one-line error."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaosrun.cli.main import main

STEPS = """
def ok():
    return "ok"

def boom():
    raise RuntimeError("rollback broke")
"""


def _python(name: str, module: str, func: str) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": {"type": "python", "module": module, "func": func},
    }


@pytest.fixture
def steps(tmp_path, monkeypatch) -> Path:
    (tmp_path / "steps.py").write_text(STEPS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _experiment(path: Path, method: list[dict[str, Any]], rollbacks=()) -> Path:
    exp = {"title": path.stem, "description": "d", "method": method, "rollbacks": list(rollbacks)}
    path.write_text(yaml.safe_dump(exp))
    return path


@pytest.mark.parametrize(
    ("rollbacks", "code"),
    [([], 3), ([_python("boom", "steps", "boom")], 4)],
    ids=["held-becomes-3", "restore-incomplete-stays-4"],
)
def test_unwritable_journal_keeps_the_worse_code(steps, capsys, rollbacks, code) -> None:
    exp = _experiment(steps / "exp.yaml", [_python("ok", "steps", "ok")], rollbacks)
    (steps / "file").write_text("a regular file")
    assert main(["run", str(exp), "--journal", str(steps / "file" / "j.json")]) == code
    err = capsys.readouterr().err
    assert f"error: could not write the journal to {steps / 'file' / 'j.json'}" in err
    assert "Traceback" not in err


def test_unwritable_combined_summary_exits_3(steps, capsys) -> None:
    exp = _experiment(steps / "exp.yaml", [_python("ok", "steps", "ok")])
    (steps / "reports").mkdir()
    (steps / "reports" / "summary.md").mkdir()  # a directory where the file should go
    assert main(["run", str(exp), "--reports-dir", str(steps / "reports")]) == 3
    assert "error: could not write the combined summary" in capsys.readouterr().err


def test_activity_chaoslib_cannot_inspect_is_invalid_input(
    steps, capsys, caplog, monkeypatch
) -> None:
    # chaoslib's validation raises ValueError (not ChaosException) for a builtin's signature;
    # the loader reports it first (test_validate_run_parity), the engine's own check is tested
    monkeypatch.setattr("chaosrun.experiment.loader.check_python_providers", lambda *_: [])
    exp = _experiment(steps / "builtin.yaml", [_python("nap", "time", "sleep")])
    assert main(["run", str(exp)]) == 2
    err = capsys.readouterr().err
    assert f"{exp}:" in err
    assert "method[0] (nap): chaoslib cannot check this provider (ValueError" in err
    assert not any(r.exc_info for r in caplog.records)  # an invalid activity, not a crash


def test_an_exception_before_the_first_phase_is_invalid_input(
    steps, capsys, caplog, monkeypatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("preparation broke")

    monkeypatch.setattr("chaosrun.engine.runner.validate_experiment", broken)
    exp = _experiment(steps / "exp.yaml", [_python("ok", "steps", "ok")])
    with caplog.at_level(logging.INFO, logger="chaosrun.cli.cmd_run"):
        assert main(["run", str(exp)]) == 2
    err = capsys.readouterr().err
    assert f"error: {exp}: invalid experiment, it could not be prepared" in err
    assert "RuntimeError: preparation broke" in err and "nothing was changed" in err
    assert any(r.exc_info for r in caplog.records)  # the traceback, shown with -v


def test_error_after_the_run_started_exits_3(steps, capsys, monkeypatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("journal build broke")

    monkeypatch.setattr("chaosrun.engine.runner.build_journal", broken)
    exp = _experiment(steps / "exp.yaml", [_python("ok", "steps", "ok")])
    assert main(["run", str(exp)]) == 3
    err = capsys.readouterr().err
    assert (
        f"error: {exp}: the run failed after it started (RuntimeError: journal build broke)" in err
    )
    assert "Its changes were restored." in err


def test_unexpected_error_in_a_command_exits_3_with_one_line(
    steps, capsys, caplog, monkeypatch
) -> None:
    def broken(_patterns: list[str]) -> Any:
        raise RuntimeError("something unforeseen")

    monkeypatch.setattr("chaosrun.cli.cmd_run.expand_paths", broken)
    with caplog.at_level(logging.INFO, logger="chaosrun.cli.main"):
        assert main(["run", "anything.yaml"]) == 3
    err = capsys.readouterr().err
    assert (
        err
        == "error: unexpected RuntimeError: something unforeseen (run with -v for the traceback)\n"
    )
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [str(e) for e in logged] == ["something unforeseen"]
