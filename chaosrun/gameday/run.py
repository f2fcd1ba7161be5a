"""Running a game day: the plan's experiments in order, with approval gates, pauses, global
stop conditions, a live view and notes. Ctrl-C restores everything and ends the day cleanly."""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.live import Live

from chaosrun.alerts.config import AlertSettings
from chaosrun.aws.clients import AwsClients, AwsSettings
from chaosrun.engine.options import RunOptions
from chaosrun.engine.runner import Runner
from chaosrun.engine.signals import SignalGuard
from chaosrun.errors import ChaosrunError, InvalidInput, SafetyViolation
from chaosrun.experiment.loader import load_experiment
from chaosrun.gameday.live import Snapshot, render, snapshot_of_runner
from chaosrun.gameday.notes import clear_active, read_notes, register_active
from chaosrun.gameday.plan import LoadedPlan, Step
from chaosrun.gameday.record import GameDayRecord, StepResult
from chaosrun.gameday.score import ExperimentScore, experiment_scores
from chaosrun.gameday.stopwatch import StopWatcher
from chaosrun.journal.model import Journal
from chaosrun.ledger import Ledger

log = logging.getLogger(__name__)

Ask = Callable[[str], bool]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "gameday"


def _console_ask(console: Console) -> Ask:
    def ask(question: str) -> bool:
        answer = console.input(f"[bold]{question}[/bold] [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return ask


class GameDay:
    def __init__(
        self,
        loaded: LoadedPlan,
        reports_dir: Path,
        *,
        yes: bool = False,
        console: Console | None = None,
        ask: Ask | None = None,
        clients: AwsClients | None = None,
        ledger: Ledger | None = None,
        refresh_per_second: float = 4.0,
        handle_signals: bool = True,
    ) -> None:
        self.loaded = loaded
        self.plan = loaded.plan
        self.yes = yes
        self.console = console or Console()
        self.ask = ask
        env = self.plan.environment
        region = env.regions[0] if env.regions else None
        self.clients = clients or AwsClients(AwsSettings(profile=env.profile, region=region))
        self.ledger = ledger or Ledger()
        self.refresh = refresh_per_second
        self.handle_signals = handle_signals
        started = datetime.now(UTC)
        self.day_dir = reports_dir / f"gameday-{started:%Y%m%dT%H%M%SZ}-{slug(self.plan.title)}"
        self.record = GameDayRecord(
            title=self.plan.title,
            purpose=self.plan.purpose,
            owner=self.plan.owner,
            coordinator=self.plan.coordinator,
            observers=self.plan.observers,
            plan_file=str(loaded.path),
            sandbox=env.sandbox,
            started=started,
        )
        self.alert_settings = (
            AlertSettings(sinks=list(self.plan.alerts)) if self.plan.alerts else None
        )
        self._lock = threading.Lock()
        self._runner: Runner | None = None
        self._stop = threading.Event()

    # -- control ---------------------------------------------------------------------------
    def halt(self, reason: str, status: str = "halted") -> None:
        """End the day: abort the running experiment (it restores) and skip the rest."""
        with self._lock:
            if not self._stop.is_set():
                self.record.status = status  # type: ignore[assignment]
                self.record.halt_reason = reason
            self._stop.set()
            runner = self._runner
        if runner is not None:
            runner.abort(reason)

    def _on_signal(self, name: str) -> None:
        self.halt(f"{name} received: the game day was ended by its operator", "interrupted")

    # -- the day ---------------------------------------------------------------------------
    def preflight(self) -> None:
        needs_approval = any(s.approval for s in self.plan.experiments)
        if needs_approval and not self.yes and self.ask is None and not sys.stdin.isatty():
            raise InvalidInput(
                f"{self.loaded.path}: experiments need approval but there is no terminal to ask "
                "in; run with --yes for unattended game days"
            )
        wanted = self.plan.environment.account_id
        if wanted:
            actual = self.clients.account_id()
            if actual != wanted:
                raise SafetyViolation(
                    f"the plan is for account {wanted} but these credentials are for {actual}; "
                    "nothing was run. Switch profile (environment.profile) or fix the plan."
                )

    def run(self) -> GameDayRecord:
        self.preflight()
        self.day_dir.mkdir(parents=True, exist_ok=True)
        register_active(self.day_dir, self.plan.title)
        watcher = StopWatcher(self.plan.stop_conditions, self.clients, self.halt)
        try:
            with SignalGuard(self._on_signal, enabled=self.handle_signals):
                watcher.start()
                for index, step in enumerate(self.plan.experiments, 1):
                    self.record.steps.append(self._step(index, step))
        finally:
            watcher.stop()
            self.record.ended = datetime.now(UTC)
            self.record.notes = read_notes(self.day_dir)
            clear_active(self.day_dir)
            self._write_outputs()
        return self.record

    def _step(self, index: int, step: Step) -> StepResult:
        path = self.loaded.experiment_path(step)
        try:
            loaded = load_experiment(path, step.vars)
        except ChaosrunError as exc:  # changed on disk since the plan was validated
            return StepResult(
                index=index,
                title=step.title or path.stem,
                experiment_file=str(path),
                status="invalid",
                reason=str(exc),
            )
        title = step.title or str(loaded.raw.get("title") or path.stem)
        result = StepResult(index=index, title=title, experiment_file=str(path), status="skipped")
        if self._stop.is_set():
            result.status = "halted"
            result.reason = self.record.halt_reason
            return result
        if step.approval and not self.yes:
            ask = self.ask or _console_ask(self.console)
            if not ask(f"Start experiment {index}/{len(self.plan.experiments)}: {title}?"):
                result.status = "not-approved"
                result.reason = "not approved by the operator"
                return result
        if not self._pause(f"pause before {title}", step.pause_before, index, title):
            result.status = "halted"
            result.reason = self.record.halt_reason
            return result
        runner = Runner(
            loaded.raw,
            loaded.settings,
            clients=self.clients,
            ledger=self.ledger,
            options=RunOptions(
                experiment_file=str(path),
                secret_config_keys=loaded.secret_config_keys,
                locate=loaded.locate,
                sandbox=self.plan.environment.sandbox,
                handle_signals=False,
                alert_settings=self.alert_settings,
            ),
        )
        with self._lock:
            self._runner = runner
        result.started = datetime.now(UTC)
        journal = self._run_live(runner, index, title)
        with self._lock:
            self._runner = None
        result.ended = datetime.now(UTC)
        result.status = "ran"
        result.verdict = journal.chaosrun.verdict
        result.exit_code = journal.chaosrun.exit_code
        result.run_id = journal.chaosrun.run_id
        result.reason = journal.chaosrun.reason
        result.journal, result.report = self._write_journal(index, title, journal)
        if result.exit_code == 1 and not step.continue_on_deviation:
            self.halt(f"{title} deviated and the plan says not to continue")
        elif result.exit_code == 4:
            self.halt(f"{title} could not restore everything; stopping the day")
        self._pause(f"pause after {title}", step.pause_after, index, title)
        return result

    def _snapshot(self, index: int, title: str, runner: Runner | None) -> Snapshot:
        snap = Snapshot(
            title=self.plan.title,
            step=index,
            steps=len(self.plan.experiments),
            experiment=title,
            phase="pause",
            started=datetime.now(UTC),
            day_started=self.record.started,
            halted=self.record.halt_reason or None,
        )
        if runner is not None:
            snap.phase, snap.probes, snap.faults, snap.started = snapshot_of_runner(runner)
        notes = read_notes(self.day_dir)
        snap.last_note = notes[-1].text if notes else None
        return snap

    def _run_live(self, runner: Runner, index: int, title: str) -> Journal:
        box: dict[str, Journal | BaseException] = {}

        def work() -> None:
            try:
                box["journal"] = runner.run()
            except BaseException as exc:  # surfaced below, after restore ran in the runner
                box["error"] = exc

        thread = threading.Thread(target=work, name=f"experiment-{index}", daemon=True)
        thread.start()
        with Live(
            render(self._snapshot(index, title, runner)),
            console=self.console,
            refresh_per_second=self.refresh,
            transient=False,
        ) as live:
            while thread.is_alive():
                thread.join(1.0 / self.refresh)
                live.update(render(self._snapshot(index, title, runner)))
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        journal = box["journal"]
        assert isinstance(journal, Journal)
        return journal

    def _pause(self, label: str, seconds: float, index: int, title: str) -> bool:
        """Wait ``seconds`` with a progress bar; False when the day was halted meanwhile."""
        if seconds <= 0:
            return not self._stop.is_set()
        start = datetime.now(UTC)
        with Live(console=self.console, refresh_per_second=self.refresh) as live:
            while not self._stop.is_set():
                done = (datetime.now(UTC) - start).total_seconds()
                if done >= seconds:
                    break
                snap = self._snapshot(index, title, None)
                snap.pause = (label, done, seconds)
                live.update(render(snap))
                self._stop.wait(min(1.0 / self.refresh, seconds - done))
        return not self._stop.is_set()

    # -- outputs ---------------------------------------------------------------------------
    def _write_journal(self, index: int, title: str, journal: Journal) -> tuple[str, str | None]:
        stem = f"{index:02d}-{slug(title)}"
        (self.day_dir / f"{stem}.json").write_text(journal.to_json(), encoding="utf-8")
        try:
            from chaosrun.report.html import render_html

            (self.day_dir / f"{stem}.html").write_text(render_html(journal), encoding="utf-8")
            return f"{stem}.json", f"{stem}.html"
        except Exception as exc:  # a report problem must not end the day
            log.error("could not render the report of %s: %s", title, exc)
            return f"{stem}.json", None

    def _write_outputs(self) -> None:
        from chaosrun.gameday.report import render_gameday_html, render_gameday_markdown

        (self.day_dir / "gameday.json").write_text(
            self.record.model_dump_json(indent=2), encoding="utf-8"
        )
        journals = self.journals()
        scores = self.scores(journals)
        (self.day_dir / "index.html").write_text(
            render_gameday_html(self.record, journals, scores), encoding="utf-8"
        )
        (self.day_dir / "gameday.md").write_text(
            render_gameday_markdown(self.record, scores), encoding="utf-8"
        )

    def scores(self, journals: dict[int, Journal]) -> list[ExperimentScore]:
        """Resilience scores of the day's experiments, counting earlier runs kept in the
        reports folder (the day's parent) so a score reflects history, not one run."""
        from chaosrun.report.index import load_journals

        history = [j for _, j in load_journals(self.day_dir.parent)]
        day = list(journals.values())
        titles = {j.title for j in day}
        return [
            s
            for s in experiment_scores([*history, *day], datetime.now(UTC))
            if s.experiment in titles
        ]

    def journals(self) -> dict[int, Journal]:
        out = {}
        for step in self.record.steps:
            if step.journal:
                out[step.index] = Journal.from_file(str(self.day_dir / step.journal))
        return out
