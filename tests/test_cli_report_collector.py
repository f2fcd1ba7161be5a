"""`chaosrun report` pauses the cyclic garbage collector while it reads and renders journals
(a short batch job over a million acyclic objects) and leaves it as it found it."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from journal_factory import held_journal

import chaosrun.report.html as report_html
from chaosrun.cli.main import main


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_while_rendering_and_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    journal = tmp_path / "run.json"
    journal.write_text(held_journal().to_json(), encoding="utf-8")
    seen: list[bool] = []
    real = report_html.render_html

    def spy(j):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(j)

    monkeypatch.setattr(report_html, "render_html", spy)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        assert main(["report", str(journal), "--html", str(tmp_path / "out.html")]) == 0
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False]
    assert "Verdict: Held" in (tmp_path / "out.html").read_text(encoding="utf-8")


def test_collector_restored_when_the_journal_is_invalid(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a journal"}', encoding="utf-8")
    assert gc.isenabled()
    assert main(["report", str(bad)]) == 2
    assert gc.isenabled()


def test_run_pauses_the_collector_for_start_up_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading and validating run with the collector paused; the experiment itself does not
    (a long method, traffic, a sandbox need it)."""
    import json

    import chaosrun.cli.cmd_run as cmd_run

    exp = tmp_path / "exp.json"
    probe = {"type": "python", "module": "os.path", "func": "exists", "arguments": {"path": "/"}}
    exp.write_text(
        json.dumps(
            {
                "title": "t",
                "description": "d",
                "method": [{"type": "probe", "name": "p", "provider": probe}],
            }
        ),
        encoding="utf-8",
    )
    seen: dict[str, bool] = {}
    real_validate, real_run_one = cmd_run.validate_all, cmd_run.run_one

    def validate_all(*a, **k):  # type: ignore[no-untyped-def]
        seen["validate"] = gc.isenabled()
        return real_validate(*a, **k)

    def run_one(*a, **k):  # type: ignore[no-untyped-def]
        seen["run"] = gc.isenabled()
        return real_run_one(*a, **k)

    monkeypatch.setattr(cmd_run, "validate_all", validate_all)
    monkeypatch.setattr(cmd_run, "run_one", run_one)
    monkeypatch.setenv("CHAOSRUN_HOME", str(tmp_path / "home"))
    assert gc.isenabled()
    assert main(["run", str(exp), "--journal", str(tmp_path / "j.json")]) == 0
    assert seen == {"validate": False, "run": True}
    assert gc.isenabled()
