"""``chaosrun run``: run experiments, write journals and reports, print a verdict summary."""

from __future__ import annotations

import argparse
import glob
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaosrun.cli.batch import (
    NOT_RUN,
    BatchInterrupt,
    announce_not_run,
    junit_not_run,
    markdown_not_run,
)
from chaosrun.cli.collector import paused_collector
from chaosrun.errors import InvalidInput

if TYPE_CHECKING:
    from chaosrun.engine.scrub import Scrubber
    from chaosrun.experiment.loader import LoadedExperiment

log = logging.getLogger(__name__)

EXIT_INVALID = 2
EXIT_ERROR = 3
EXIT_RESTORE_INCOMPLETE = 4

#: report option -> (module, function, file suffix under --reports-dir)
REPORTS: dict[str, tuple[str, str, str]] = {
    "report": ("chaosrun.report.html", "render_html", ".html"),
    "junit": ("chaosrun.report.junit", "render_junit", ".junit.xml"),
    "markdown": ("chaosrun.report.markdown", "render_markdown", ".md"),
}


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "run",
        help="run experiments; always restores what they changed",
        description=(
            "Run each experiment: safety checks, steady state before, method (hypothesis "
            "re-checked during it), steady state after, restore, rollbacks. Exit code: 0 held, "
            "1 deviated, 2 invalid input, 3 aborted/errored, 4 restore incomplete (worst of all "
            "experiments)."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="FILE|DIR|GLOB", help="experiment files")
    p.add_argument("--journal", metavar="PATH", help="journal JSON (default: journal.json)")
    p.add_argument("--report", metavar="PATH", help="HTML report")
    p.add_argument("--junit", metavar="PATH", help="JUnit XML")
    p.add_argument("--markdown", metavar="PATH", help="Markdown summary")
    p.add_argument(
        "--reports-dir", metavar="DIR", help="write journal, HTML, JUnit and Markdown here"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="show targets, changes and IAM permissions only"
    )
    p.add_argument("--var", action="append", default=[], metavar="K=V", help="configuration value")
    p.add_argument("--var-file", action="append", default=[], metavar="F", help="JSON/YAML/.env")
    p.add_argument("--region", help="AWS region (overrides the experiment's chaosrun.aws)")
    p.add_argument("--profile", help="AWS profile (overrides the experiment's chaosrun.aws)")
    p.add_argument("--sandbox", action="store_true", help="run against a fresh local sandbox")
    p.add_argument(
        "--alerts",
        metavar="FILE",
        help="alert sinks settings (default: $CHAOSRUN_HOME/alerts.yaml)",
    )
    p.add_argument(
        "--check-expected",
        action="store_true",
        help="exit 0 when every verdict is the experiment's documented one (chaosrun.expect)",
    )
    p.set_defaults(handler=handle)


# -- inputs -----------------------------------------------------------------------------------
def expand_paths(patterns: list[str]) -> list[Path]:
    """Files, directories (their .yaml/.yml/.json files, recursively) and globs."""
    from chaosrun.experiment.loader import experiment_files

    files: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else []
        candidates = [Path(m) for m in matches] or [Path(pattern)]
        for path in candidates:
            if path.is_dir():
                files.extend(experiment_files([path]))
            elif path.is_file():
                files.append(path)
            else:
                raise InvalidInput(f"{pattern}: no such file, directory or matching glob")
    unique = list(dict.fromkeys(files))
    if not unique:
        raise InvalidInput(f"no experiment files in {' '.join(patterns)}")
    return unique


def _parse_variables(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    from chaosrun.experiment.loader import parse_variables

    return parse_variables(args.var, args.var_file)


def load_experiment_file(path: Path, variables: dict[str, Any]) -> LoadedExperiment:
    """THE seam to the experiment loader: the validated experiment (raw CTK dict, settings),
    or :class:`ExperimentInvalid` with file:line issues."""
    from chaosrun.experiment.loader import load_experiment

    return load_experiment(path, variables)


def _start_sandbox(args: argparse.Namespace) -> AbstractContextManager[Any]:
    """``--sandbox``: start a fresh local sandbox and point this process's AWS settings at it
    (``AWS_ENDPOINT_URL`` and friends), exactly as a user would by hand."""
    from chaosrun.cli.sandboxed import sandboxed

    return sandboxed()


def _alert_settings(path: str | None) -> Any:
    """``--alerts FILE``, else the default settings file; None when there is none, so that a run
    without alert sinks does not import them."""
    from chaosrun.alerts import default_settings_path

    if path is None and not default_settings_path().exists():
        return None
    from chaosrun.alerts.config import load_settings

    return load_settings(path)


# -- outputs ----------------------------------------------------------------------------------
def _output_path(explicit: str | None, stem: str, several: bool) -> Path | None:
    if explicit is None:
        return None
    path = Path(explicit)
    if several:
        path = path.with_name(f"{path.stem}-{stem}{path.suffix}")
    return path


def _renderer(option: str) -> Callable[[Any], str]:
    module_name, func_name, _ = REPORTS[option]
    render: Callable[[Any], str] = getattr(importlib.import_module(module_name), func_name)
    return render


def _write(path: Path, text: str, what: str) -> bool:
    """Write one output file; on failure say so (the run itself is over) and return False."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(
            f"error: could not write the {what} to {path}: {exc}. The run is over and its "
            "verdict stands; choose a writable path next time.",
            file=sys.stderr,
        )
        return False
    return True


def write_outputs(journal: Any, args: argparse.Namespace, stem: str, several: bool) -> bool:
    """Write the journal and reports asked for; False when any of them could not be written."""
    ok = True
    targets: dict[str, Path] = {}
    reports_dir = Path(args.reports_dir) if args.reports_dir else None
    journal_path = _output_path(args.journal, stem, several)
    if journal_path is None and reports_dir is None:
        journal_path = Path(f"journal-{stem}.json" if several else "journal.json")
    if reports_dir is not None:
        # one set of files per run, named by run id, so the folder keeps the history the
        # index (reports/index.html) shows as trends
        from chaosrun.report.common import report_filename

        run_id = journal.chaosrun.run_id
        targets["journal"] = reports_dir / report_filename(run_id, ".json")
        for option, (_, _, suffix) in REPORTS.items():
            targets[option] = reports_dir / report_filename(run_id, suffix)
    if journal_path is not None:
        targets["journal"] = journal_path
    for option in REPORTS:
        path = _output_path(getattr(args, option), stem, several)
        if path is not None:
            targets[option] = path
    for option, path in targets.items():
        if option == "journal":
            text = journal.to_json()
        else:
            try:
                text = _renderer(option)(journal)
            except Exception as exc:
                print(f"warning: --{option} failed: {exc}", file=sys.stderr)
                continue
        if _write(path, text, option):
            print(f"{option}: {path}", file=sys.stderr)
        else:
            ok = False
    return ok


def print_dry_run(journal: Any) -> None:
    permissions = probe_permissions(journal.experiment)
    print(f"dry run of {journal.title!r}: nothing was changed")
    for record in journal.chaosrun.faults:
        permissions.update(record.permissions)
        print(f"  {record.activity} ({record.fault}), {len(record.targets)} target(s):")
        for target in record.targets:
            print(f"    {target.target}: {target.before} -> {target.after}")
        _print_seed(record)
    for run in journal.run:
        if run.status == "skipped":
            print(f"  {run.activity.get('name')}: not run in a dry run")
    for error in journal.chaosrun.errors:
        print(f"  error: {error}")
    if permissions:
        print("IAM permissions needed:")
        for permission in sorted(permissions | {"sts:GetCallerIdentity"}):
            print(f"  {permission}")


def probe_permissions(experiment: dict[str, Any]) -> set[str]:
    """IAM permissions of the chaosrun probes an experiment names (hypothesis, method,
    rollbacks): a dry run runs none of them, but the real run will."""
    from chaosrun.experiment.validate import iter_activities, python_providers
    from chaosrun.plugins import PROBES

    needed: set[str] = set()
    for _, _, module, func in python_providers(iter_activities(experiment)):
        probe = PROBES.find(f"{module}.{func}")
        if probe is not None:
            needed.update(probe.permissions)
    return needed


def _print_seed(record: Any) -> None:
    """count/percent picked these targets at random: without the seed the real run picks others."""
    if record.seed is None or not {"count", "percent"} & record.params.keys():
        return
    if record.params.get("seed") == record.seed:
        print(f"    targets picked at random with the pinned seed {record.seed}")
        return
    print(
        f"    targets picked at random with seed {record.seed}: add `seed: {record.seed}` to "
        f"the arguments of {record.activity!r} for the real run to pick these targets again "
        "(from the same candidates)"
    )


# -- the command ------------------------------------------------------------------------------
@dataclass
class Outcome:
    experiment: str
    exit_code: int
    verdict: str
    restore: str
    duration: float
    expected: str | None = None
    journal: Any = None
    #: SIGINT/SIGTERM arrived during the run, restore and rollbacks included: the batch stops
    interrupted: str | None = None
    #: a journal or report asked for could not be written
    output_failed: bool = False

    @property
    def as_expected(self) -> bool:
        """The verdict is the documented one (``chaosrun.expect``), nothing was left impaired
        and every output was written."""
        return (
            self.expected is not None
            and self.verdict == self.expected
            and self.exit_code != EXIT_RESTORE_INCOMPLETE
            and not self.output_failed
        )


def _restore_summary(journal: Any) -> str:
    targets = [t for f in journal.chaosrun.faults for t in f.targets]
    if journal.chaosrun.dry_run:
        return "dry run"
    if not targets:
        return "nothing to restore"
    bad = [t for t in targets if t.restore is None or not t.restore.ok]
    if bad:
        return f"{len(bad)}/{len(targets)} NOT restored"
    return f"all {len(targets)} restored"


def _scrubber(runner: Any) -> Scrubber:
    """The run's scrubber (it knows the run's secrets); an empty one before the runner exists."""
    from chaosrun.engine.scrub import Scrubber

    return runner.scrubber if runner is not None else Scrubber()


def _unexpected(path: Path, runner: Any, exc: Exception) -> Outcome:
    """An exception escaped the runner. Before the experiment's first phase nothing has changed
    (chaoslib's validation raising ValueError, say): invalid input. After it, the runner has
    restored (its restore never raises) but left no journal: an error, or restore incomplete."""
    from chaosrun.engine.scrub import scrubbed_logs

    scrub = _scrubber(runner)
    with scrubbed_logs(scrub, (log.name,)):  # the traceback can quote secrets too
        log.info("%s: unexpected error", path, exc_info=exc)
    events = runner.state.events if runner is not None else []
    detail = scrub.text(f"{type(exc).__name__}: {exc}")
    if not any(event.kind == "phase" for event in events):
        print(
            f"error: {path}: invalid experiment, it could not be prepared ({detail}); nothing "
            "was changed. Fix the activity it names and run again (-v shows the traceback).",
            file=sys.stderr,
        )
        return Outcome(str(path), EXIT_INVALID, "invalid", "nothing changed", 0.0)
    state = runner.state
    incomplete = bool(state.restore_problems or state.rollback_failures)
    print(
        f"error: {path}: the run failed after it started ({detail}); no journal was written. "
        + (
            "Something may still be impaired: run `chaosrun rollback`."
            if incomplete
            else "Its changes were restored."
        )
        + " Run with -v for the traceback.",
        file=sys.stderr,
    )
    return Outcome(
        str(path),
        EXIT_RESTORE_INCOMPLETE if incomplete else EXIT_ERROR,
        "error",
        "NOT restored" if incomplete else "restored",
        0.0,
    )


def run_one(
    path: Path,
    loaded: LoadedExperiment,
    variables: tuple[dict[str, Any], dict[str, Any]],
    args: argparse.Namespace,
    several: bool,
    interrupt: BatchInterrupt | None = None,
) -> Outcome:
    """Run one experiment already validated by :func:`validate_all`."""
    from chaosrun.aws.clients import AwsClients, AwsSettings
    from chaosrun.engine import Runner, RunOptions

    started = time.monotonic()
    config_vars, secret_vars = variables
    experiment, settings = loaded.raw, loaded.settings
    runner = None
    try:
        aws = settings.aws.model_copy(
            update={k: v for k, v in (("region", args.region), ("profile", args.profile)) if v}
        )
        settings = settings.model_copy(update={"aws": aws})
        runner = Runner(
            experiment,
            settings,
            clients=AwsClients(AwsSettings(profile=aws.profile, region=aws.region)),
            options=RunOptions(
                dry_run=args.dry_run,
                variables=config_vars,
                secret_variables=secret_vars,
                secret_config_keys=loaded.secret_config_keys,
                locate=loaded.locate,
                experiment_file=str(path),
                sandbox=args.sandbox,
                alert_settings=_alert_settings(args.alerts),
            ),
        )
        print(f"chaosrun: running {path} (run {runner.run_id})", file=sys.stderr)
        if interrupt is not None:
            interrupt.abort = runner.abort
        journal = runner.run()
    except InvalidInput as exc:
        print(f"error: {path}: {_scrubber(runner).text(str(exc))}", file=sys.stderr)
        return Outcome(str(path), EXIT_INVALID, "invalid", "nothing changed", 0.0)
    except Exception as exc:
        return _unexpected(path, runner, exc)
    finally:
        if interrupt is not None:
            interrupt.abort = None
    exit_code = journal.chaosrun.exit_code
    written = write_outputs(journal, args, path.stem, several)
    if not written:
        exit_code = max(exit_code, EXIT_ERROR)  # 4 (something impaired) stays 4
    if journal.chaosrun.dry_run:
        print_dry_run(journal)
    verdict = journal.chaosrun.verdict
    print(f"{path}: {verdict.value} — {journal.chaosrun.reason}", file=sys.stderr)
    dry = journal.chaosrun.dry_run  # nothing was tested: no verdict to compare
    return Outcome(
        str(path),
        exit_code,
        "dry run" if dry else verdict.value,
        _restore_summary(journal),
        time.monotonic() - started,
        expected=settings.expect.value if settings.expect and not dry else None,
        journal=journal,
        interrupted=runner.signal_received,
        output_failed=not written,
    )


def print_summary(outcomes: list[Outcome]) -> None:
    headers = ["experiment", "verdict", "restore", "duration", "exit"]
    show_expected = any(o.expected for o in outcomes)
    if show_expected:
        headers.insert(2, "expected")
    rows = []
    for o in outcomes:
        row = [o.experiment, o.verdict, o.restore, f"{o.duration:.1f}s", str(o.exit_code)]
        if show_expected:
            mark = "-" if o.expected is None else ("yes" if o.as_expected else "NO")
            row.insert(2, f"{o.expected or '-'} ({mark})" if o.expected else "-")
        rows.append(row)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def write_batch_outputs(
    outcomes: list[Outcome], reports_dir: Path | None, stopped: str | None = None
) -> bool:
    """After all runs: the reports index, and a combined Markdown summary and JUnit file (also
    appended to ``$GITHUB_STEP_SUMMARY`` when GitHub Actions sets it), listing the experiments
    not run when ``stopped`` says why the batch stopped. False when a file could not be written."""
    journals = [o.journal for o in outcomes if o.journal is not None]
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not journals or (reports_dir is None and not step_summary):
        return True  # nothing to write (and the renderers are not imported)
    not_run = [o.experiment for o in outcomes if o.verdict == NOT_RUN]
    reason = stopped or ""
    summary = _renderer("markdown")(journals) + markdown_not_run(not_run, reason)
    ok = True
    if reports_dir is not None:
        from chaosrun.report.index import write_index

        junit = junit_not_run(_renderer("junit")(journals), not_run, reason)
        ok = _write(reports_dir / "junit.xml", junit, "combined JUnit file")
        ok = _write(reports_dir / "summary.md", summary, "combined summary") and ok
        try:
            print(f"index: {write_index(reports_dir)}", file=sys.stderr)
        except OSError as exc:
            print(f"error: could not write the reports index: {exc}", file=sys.stderr)
            ok = False
    if step_summary and summary:
        try:
            with open(step_summary, "a", encoding="utf-8") as fh:
                fh.write(summary + "\n")
        except OSError as exc:
            print(f"error: could not append to $GITHUB_STEP_SUMMARY: {exc}", file=sys.stderr)
            ok = False
    return ok


def validate_all(
    files: list[Path], config_vars: dict[str, Any]
) -> dict[Path, LoadedExperiment] | None:
    """Validate every file before any runs: one bad file in a batch changes nothing at all.
    Returns each file's loaded experiment, or None when any is invalid (issues printed)."""
    from chaosrun.errors import ExperimentInvalid

    loaded: dict[Path, LoadedExperiment] = {}
    ok = True
    for path in files:
        try:
            loaded[path] = load_experiment_file(path, config_vars)
        except ExperimentInvalid as exc:
            ok = False
            for issue in exc.issues:
                print(f"error: {issue}", file=sys.stderr)
    return loaded if ok else None


def handle(args: argparse.Namespace) -> int:
    with paused_collector():  # start-up: the loader, the engine and their schemas
        files = expand_paths(args.paths)
        variables = _parse_variables(args)
        loaded = validate_all(files, variables[0])
        if loaded is not None:
            importlib.import_module("chaosrun.engine")  # what run_one needs, imported here
    if loaded is None:
        print(
            "error: invalid experiment file(s); nothing was run and nothing changed. Fix them "
            "(`chaosrun validate` lists every issue) and run again.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    with _start_sandbox(args) if args.sandbox else nullcontext(), BatchInterrupt() as interrupt:
        outcomes = _run_all(files, loaded, variables, args, interrupt)
    print_summary(outcomes)
    reports_dir = Path(args.reports_dir) if args.reports_dir else None
    written = write_batch_outputs(outcomes, reports_dir, interrupt.reason)
    ran = [o for o in outcomes if o.verdict != NOT_RUN]
    if args.check_expected:
        code = _expectation_code(ran)
    else:
        code = max((o.exit_code for o in ran), default=EXIT_ERROR)
    if interrupt.reason is not None or len(ran) < len(outcomes) or not written:
        code = max(code, EXIT_ERROR)  # 4 (something impaired) stays 4
    return code


def _run_all(
    files: list[Path],
    loaded: dict[Path, LoadedExperiment],
    variables: tuple[dict[str, Any], dict[str, Any]],
    args: argparse.Namespace,
    interrupt: BatchInterrupt,
) -> list[Outcome]:
    """Run the files in order; after SIGINT/SIGTERM none is started and the rest are listed
    as not run."""
    outcomes: list[Outcome] = []
    for index, path in enumerate(files):
        if interrupt.reason is None:
            outcome = run_one(path, loaded[path], variables, args, len(files) > 1, interrupt)
            outcomes.append(outcome)
            interrupt.reason = interrupt.reason or outcome.interrupted
            continue
        rest = [str(p) for p in files[index:]]
        announce_not_run(rest, interrupt.reason)
        outcomes += [Outcome(p, EXIT_ERROR, NOT_RUN, "nothing changed", 0.0) for p in rest]
        break
    return outcomes


def _expectation_code(outcomes: list[Outcome]) -> int:
    """``--check-expected``: 0 when every experiment ended with its documented verdict and
    restored everything; otherwise the worst exit code among the others."""
    if any(o.exit_code == 4 for o in outcomes):
        return 4
    missing = [o for o in outcomes if o.expected is None]
    if missing:
        print(
            "error: --check-expected needs `chaosrun: {expect: ...}` in " + missing[0].experiment,
            file=sys.stderr,
        )
        return EXIT_INVALID
    wrong = [o for o in outcomes if not o.as_expected]
    for o in wrong:
        print(f"unexpected: {o.experiment}: {o.verdict}, expected {o.expected}", file=sys.stderr)
    return max((o.exit_code for o in wrong), default=0) or (1 if wrong else 0)
