"""The process entry point (console script, ``python -m chaosrun``): main's exit code, and the
objects alive at exit frozen out of the interpreter's final collections."""

from __future__ import annotations

import gc
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from chaosrun.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent


def test_entry_exits_with_mains_code_after_freezing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(cli, "main", lambda: calls.append("main") or 4)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    with pytest.raises(SystemExit) as exited:
        cli.entry()
    assert exited.value.code == 4
    assert calls == ["main", "freeze"]


def test_console_script_and_module_use_the_entry() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["chaosrun"] == "chaosrun.cli.main:entry"
    proc = subprocess.run(
        [sys.executable, "-m", "chaosrun", "validate", str(ROOT / "no-such-file.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2 and "no-such-file.yaml" in proc.stdout + proc.stderr
