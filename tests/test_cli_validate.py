"""``chaosrun validate``: output and exit codes."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from chaosrun.cli import cmd_validate

FIXTURES = Path(__file__).parent / "fixtures" / "experiments"

BAD = "title: t\nmehtod: []\n"


def run(*argv: str) -> int:
    """Parse with a parser holding only this command (others may not exist yet)."""
    parser = argparse.ArgumentParser(prog="chaosrun")
    cmd_validate.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["validate", *argv])
    return int(args.handler(args))


def test_valid_files_print_ok(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(FIXTURES / "ctk-full.yaml"), str(FIXTURES / "ctk-expired-cert.json")]
    assert run(*files) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"OK {f}" for f in files]


def test_invalid_file_prints_located_issues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    assert run(str(bad)) == 2
    captured = capsys.readouterr()
    assert f"{bad}:2: mehtod: unknown key 'mehtod'; did you mean 'method'?" in captured.out
    assert "1 of 1 file(s) invalid" in captured.err


def test_directory_validates_every_experiment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(FIXTURES / "ctk-full.yaml", tmp_path / "a.yaml")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "b.yml").write_text(BAD)
    (tmp_path / "notes.txt").write_text("not an experiment")
    (tmp_path / "steady_state").mkdir()  # reusable hypotheses are not experiments
    (tmp_path / "steady_state" / "h.yaml").write_text("title: h\nprobes: []\n")
    assert run(str(tmp_path)) == 2
    out = capsys.readouterr().out
    assert f"OK {tmp_path / 'a.yaml'}" in out
    assert f"{tmp_path / 'nested' / 'b.yml'}:2: mehtod:" in out
    assert "steady_state" not in out and "notes.txt" not in out


def test_empty_directory_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(tmp_path)) == 2
    assert "no experiment files" in capsys.readouterr().err


def test_vars_are_applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a variable replaces the whole configuration entry, as with `chaos run --var`
    exp = tmp_path / "e.yaml"
    exp.write_text(
        "title: t\nconfiguration:\n  n: {type: env, key: N, env_var_type: bogus}\nmethod: []\n"
    )
    assert run(str(exp)) == 2
    assert "configuration.n.env_var_type" in capsys.readouterr().out
    assert run(str(exp), "--var", "n:int=3") == 0
    var_file = tmp_path / "vars.yaml"
    var_file.write_text("configuration: {n: 4}\n")
    assert run(str(exp), "--var-file", str(var_file)) == 0


def test_malformed_var_raises_invalid_input(tmp_path: Path) -> None:
    from chaosrun.errors import InvalidInput

    exp = tmp_path / "e.yaml"
    exp.write_text(BAD)
    with pytest.raises(InvalidInput):
        run(str(exp), "--var", "no-equals")


def test_through_main_when_available(tmp_path: Path) -> None:
    from chaosrun.cli import main as cli

    try:
        cli.build_parser()
    except ImportError as exc:  # another engineer's sub-command is not written yet
        pytest.skip(f"chaosrun.cli.main cannot build its parser yet: {exc}")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    assert cli.main(["validate", str(bad)]) == 2
    assert cli.main(["validate", str(FIXTURES / "ctk-full.yaml")]) == 0
    assert cli.main(["validate", str(bad), "--var", "no-equals"]) == 2
