"""The process entry point (console script, ``python -m chaosrun``): main's exit code, and the
objects alive at exit frozen out of the interpreter's final collections."""

from __future__ import annotations

import gc
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from chaosrun.cli import collector
from chaosrun.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent


def test_entry_exits_with_mains_code_after_freezing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(collector, "_freeze", False)  # entry() sets it for the process
    monkeypatch.setattr(cli, "main", lambda: calls.append(f"main {collector._freeze}") or 4)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    with pytest.raises(SystemExit) as exited:
        cli.entry()
    assert exited.value.code == 4
    assert calls == ["main True", "freeze"]


@pytest.mark.parametrize("freeze", [False, True])
@pytest.mark.parametrize("enabled", [True, False])
def test_paused_collector(monkeypatch: pytest.MonkeyPatch, freeze: bool, enabled: bool) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(collector, "_freeze", freeze)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(gc.isenabled()))
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(RuntimeError), collector.paused_collector():
            assert not gc.isenabled()
            raise RuntimeError("the block failed")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    # frozen (before re-enabling) only in chaosrun's own process
    assert frozen == ([False] if freeze else [])


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


def test_overlapping_pauses_in_threads_leave_the_collector_on() -> None:
    """Two threads' pauses overlap (A in, B in, A out, B out): the collector is off until the
    last one ends and on afterwards, not left off by B having seen A's pause."""
    import threading

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    states: dict[str, bool] = {}

    def a() -> None:
        with collector.paused_collector():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with collector.paused_collector():
            b_in.set()
            a_out.wait(5)
            states["after A left"] = gc.isenabled()

    assert gc.isenabled()
    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert states == {"after A left": False}
    assert gc.isenabled()
