"""`chaosrun <command>` imports only that sub-command's module (start-up time of `report`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chaosrun.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
from chaosrun.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.startswith("chaosrun.cli.cmd_") or m == "boto3"))
"""


def _loaded(*argv: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def test_report_loads_its_own_module_only() -> None:
    assert _loaded("-v", "report", "--help") == "['chaosrun.cli.cmd_report']"


def test_help_and_unknown_words_still_list_every_command() -> None:
    parser = cli.build_parser(["--help"])
    help_text = parser.format_help()
    for name in cli.COMMAND_MODULES:
        assert name.rsplit("_", 1)[1] in help_text
    assert cli.build_parser(["nonsense"]).format_help() == help_text
    assert cli.build_parser().format_help() == help_text


def test_version_alone_loads_no_subcommand() -> None:
    assert _loaded("--version") == "[]"
    assert _loaded("--version", "--help") != "[]"  # help lists every command


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    from chaosrun import __version__

    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"chaosrun {__version__}"


def test_parsing_a_run_imports_neither_the_engine_nor_the_loader() -> None:
    """`chaosrun run` imports the loader and the engine in its handler, with the collector
    paused (chaosrun.cli.collector); building its parser must not pull them in earlier."""
    probe = (
        "import sys\n"
        "from chaosrun.cli.main import build_parser\n"
        "build_parser(['run', 'x.yaml'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('chaosrun.engine', "
        "'chaosrun.experiment.loader', 'pydantic'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
