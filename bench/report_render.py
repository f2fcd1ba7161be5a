"""Report rendering benchmark: a one-hour run's journal, chaosrun's HTML vs ``chaos report``.

The journal (``tests/journal_factory.traffic_journal``, the typed model) holds 3,600
during-method checks of 5 probes (18,000 probe runs) and 10 Hz traffic series of 36,000 points
each for the success ratio and p50/p95/p99. It is written as JSON once and rendered:

- chaosrun, in process: ``render_html(journal)`` (median of ``--repeats``);
- chaosrun, end to end: ``python -m chaosrun report J.json --html OUT`` (interpreter start,
  imports, JSON parse and validation, render, write), median of ``--repeats``;
- chaostoolkit-reporting (side venv bench/.work/reporting-venv, with chaostoolkit for the
  ``chaos`` CLI and pandoc on PATH): ``chaos report --export-format=html J.json OUT``, median
  of ``--repeats``. It reads the same JSON, plus a ``chaoslib-version`` key (see below).

The ratio uses the two end-to-end commands, run alternately round after round (a slow spell of a
shared machine hits both); it is printed as the ratio of the medians and as the median of the
per-round ratios. Sizes are those of the written HTML files.

Both sides run from compiled bytecode, as installed: ``pip install`` compiled the reporting
venv's ``.pyc`` files; chaosrun's source tree is compiled first (``python -m compileall``),
since a sandbox with ``PYTHONDONTWRITEBYTECODE=1`` would otherwise recompile every chaosrun
module on every run. Jinja's compiled templates are kept the same way (``chaosrun report``
keeps them in Jinja's per-user cache; the in-process renders fill it); one more run with an
empty cache (a fresh ``TMPDIR``) shows the cold figure.

Run: python -m bench.report_render [--repeats 3] [--chaosrun-python VENV/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import timed

REPORTING_VENV = Path(__file__).parent / ".work" / "reporting-venv" / "bin"
GOAL_SPEEDUP = 5.0
GOAL_BYTES = 1.5 * 1024 * 1024


def build_journal():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.journal_factory import traffic_journal

    return traffic_journal(seconds=3600.0, checks=3600, probes=5, hz=10.0)


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_cmd(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """``(wall s, CPU s of the child and its children, error)``; CPU time is the steadier
    figure on a machine shared with other work."""
    cpu0, start = _child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    elapsed, cpu = time.perf_counter() - start, _child_cpu() - cpu0
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"
        return float("nan"), float("nan"), err
    return elapsed, cpu, ""


def _median(runs: list[tuple[float, float, str]]) -> dict:  # type: ignore[type-arg]
    err = next((e for _, _, e in runs if e), "")
    return {
        "wall": sorted(r[0] for r in runs)[len(runs) // 2],
        "cpu": sorted(r[1] for r in runs)[len(runs) // 2],
        "err": err,
        "runs": runs,
    }


def median_cmd(cmd: list[str], repeats: int, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    return _median([run_cmd(cmd, env) for _ in range(repeats)])


def interleaved(
    cmds: dict[str, tuple[list[str], dict[str, str] | None]], repeats: int
) -> dict[str, dict]:  # type: ignore[type-arg]
    """Each command once per round, round after round: a slow spell of a shared machine then
    hits every command alike instead of whichever ran during it."""
    runs: dict[str, list[tuple[float, float, str]]] = {name: [] for name in cmds}
    order = list(cmds)
    for round_no in range(repeats):
        for name in order if round_no % 2 == 0 else order[::-1]:  # neither always goes first
            cmd, env = cmds[name]
            runs[name].append(run_cmd(cmd, env))
    return {name: _median(r) for name, r in runs.items()}


def round_ratio(theirs: dict, ours: dict, key: int) -> float:  # type: ignore[type-arg]
    """Median over rounds of theirs / ours (``key`` 0: wall, 1: CPU); rounds where either
    command failed (NaN) are left out."""
    ratios = sorted(
        t[key] / o[key]
        for t, o in zip(theirs["runs"], ours["runs"], strict=True)
        if not (t[2] or o[2])
    )
    return ratios[len(ratios) // 2] if ratios else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--chaosrun-python",
        default=sys.executable,
        help="interpreter for the end-to-end `chaosrun report` runs, e.g. a venv made by "
        "`pip install .` alone, with the library versions a user gets today (the working tree "
        "runs either way: it is first on PYTHONPATH)",
    )
    args = parser.parse_args()
    from chaosrun.report.html import render_html

    root = Path(__file__).resolve().parent.parent
    no_env_flag = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for python in dict.fromkeys([sys.executable, args.chaosrun_python]):  # .pyc per version
        subprocess.run(
            [python, "-m", "compileall", "-q", str(root / "chaosrun")], check=True, env=no_env_flag
        )
    journal = build_journal()
    during = journal.steady_states.during
    series = journal.chaosrun.series
    with tempfile.TemporaryDirectory() as tmp:
        ours_json = Path(tmp) / "journal.json"
        ours_json.write_text(journal.to_json(), encoding="utf-8")
        # Chaos Toolkit names the field "chaoslib-version"; journals written before it was
        # aliased say "chaoslib_version", which chaostoolkit-reporting cannot read (KeyError).
        ctk = json.loads(ours_json.read_text(encoding="utf-8"))
        ctk.setdefault("chaoslib-version", ctk.get("chaoslib_version"))
        ctk_json = Path(tmp) / "journal-ctk.json"
        ctk_json.write_text(json.dumps(ctk), encoding="utf-8")

        t_render, html = timed(lambda: render_html(journal), repeat=args.repeats)
        ours_out = Path(tmp) / "ours.html"
        py = args.chaosrun_python
        tree = {**os.environ, "PYTHONPATH": str(root)}
        cli = [py, "-m", "chaosrun", "report", str(ours_json), "--html", str(ours_out)]
        cold_tmp = Path(tmp) / "cold-tmpdir"
        cold_tmp.mkdir()
        ours_cold = median_cmd(cli, 1, {**tree, "TMPDIR": str(cold_tmp)})
        ours_floor = median_cmd([py, "-m", "chaosrun", "report", "--help"], args.repeats, tree)

        chaos = REPORTING_VENV / "chaos"
        ctk_out = Path(tmp) / "ctk.html"
        ctk_err = ""
        theirs = theirs_floor = None
        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {"ours": (cli, tree)}
        if not chaos.exists():
            ctk_err = f"{chaos} missing (pip install chaostoolkit chaostoolkit-reporting)"
        elif shutil.which("pandoc") is None:
            ctk_err = "pandoc not on PATH (chaostoolkit-reporting converts with pandoc)"
        else:
            env = {**os.environ, "PATH": f"{REPORTING_VENV}:{os.environ['PATH']}"}
            cmd = [str(chaos), "report", "--export-format=html", str(ctk_json), str(ctk_out)]
            commands["theirs"] = (cmd, env)
            theirs_floor = median_cmd([str(chaos), "report", "--help"], args.repeats, env)
        timed_runs = interleaved(commands, args.repeats)
        ours = timed_runs["ours"]
        if "theirs" in timed_runs:
            theirs = timed_runs["theirs"]
            ctk_err = theirs["err"]
        ours_size = ours_out.stat().st_size if ours_out.exists() else len(html.encode())
        ctk_size = ctk_out.stat().st_size if ctk_out.exists() else None
        json_size = ours_json.stat().st_size

    print(
        f"machine: {os.cpu_count()} cores; journal: {len(during)} during-checks x "
        f"{len(during[0].probes)} probes, {len(series)} series x {len(series[0].values)} points, "
        f"JSON {json_size / 1e6:.1f} MB"
    )
    print(
        f"median of {args.repeats} rounds (chaosrun and chaos report alternate); wall s / CPU s "
        f"(child user+sys); chaosrun runs on {py}"
    )
    print(f"chaosrun render_html (in process)      : {t_render:6.2f} s wall")
    print(
        f"chaosrun report --html (end to end)    : {ours['wall']:6.2f} / {ours['cpu']:5.2f} s"
        f"  {ours['err']}"
    )
    print(
        f"  template cache cold (1 run)          : {ours_cold['wall']:6.2f} / "
        f"{ours_cold['cpu']:5.2f} s  {ours_cold['err']}"
    )
    print(
        f"  startup floor: chaosrun report --help : {ours_floor['wall']:6.2f} / "
        f"{ours_floor['cpu']:5.2f} s"
    )
    print(f"chaosrun HTML size                     : {ours_size / 1024:6.0f} KiB")
    if theirs is not None and not ctk_err and theirs_floor is not None:
        print(
            f"chaos report --export-format=html      : {theirs['wall']:6.2f} / "
            f"{theirs['cpu']:5.2f} s"
        )
        print(
            f"  startup floor: chaos report --help    : {theirs_floor['wall']:6.2f} / "
            f"{theirs_floor['cpu']:5.2f} s"
        )
        print(f"chaostoolkit-reporting HTML size       : {(ctk_size or 0) / 1024:6.0f} KiB")
        for label, key, index in (("wall", "wall", 0), ("CPU", "cpu", 1)):
            print(
                f"ratio chaos report / chaosrun report ({label:>4}): "
                f"{theirs[key] / ours[key]:5.1f}x of the medians, "
                f"{round_ratio(theirs, ours, index):5.1f}x median per round  "
                f"(goal >= {GOAL_SPEEDUP:.0f}x)"
            )
        print(
            f"ratio chaos report / render_html (wall, not like for like): "
            f"{theirs['wall'] / t_render:5.1f}x"
        )
    else:
        print(f"chaos report could not run: {ctk_err}")
    verdict = "met" if ours_size < GOAL_BYTES else "NOT met"
    print(f"HTML under 1.5 MB: {verdict} ({ours_size / 1e6:.2f} MB)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
