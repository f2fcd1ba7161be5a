"""The run: safety -> steady state before -> method (monitored) -> steady state after ->
restore -> rollbacks -> journal. Restore and rollbacks always run.

See docs/run-semantics.md for the semantics this implements.
"""

from __future__ import annotations

import copy
import logging
import traceback
from concurrent.futures import Future, wait
from typing import Any

from chaoslib.configuration import load_configuration
from chaoslib.exceptions import ChaosException
from chaoslib.secret import load_secrets
from pydantic import ValidationError

from chaosrun.aws.clients import AwsClients, AwsSettings
from chaosrun.engine.activities import ActivityExecutor, catalogue, plugin_kind
from chaosrun.engine.alerting import RunAlerts
from chaosrun.engine.build import build_journal
from chaosrun.engine.controls import ignored_controls_message
from chaosrun.engine.dynamic import evaluate_dynamic
from chaosrun.engine.hypothesis import Monitor, check_hypothesis, hypothesis_probes
from chaosrun.engine.options import RunOptions
from chaosrun.engine.restore import restore_faults
from chaosrun.engine.safety import check_account, validate_experiment
from chaosrun.engine.schedule import HypothesisSchedule, hypothesis_schedule
from chaosrun.engine.scrub import Scrubber, scrubbed_logs
from chaosrun.engine.signals import SignalGuard
from chaosrun.engine.state import RunState, StopReason
from chaosrun.engine.stop import StopSignal, spawn
from chaosrun.errors import ChaosrunError, InvalidInput, SafetyViolation
from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.experiment.secret_config import secret_config_keys
from chaosrun.faults.runtime import FaultContext, new_run_id, set_active_context
from chaosrun.journal.model import ActivityRun, FaultRecord, Journal, SteadyStateCheck
from chaosrun.ledger import Ledger

log = logging.getLogger(__name__)

#: seconds to let background activities notice a stop before the journal is built
BACKGROUND_GRACE = 5.0


class Runner:
    """Runs one experiment (a Chaos Toolkit dict) and returns its journal.

    ``run()`` may be called from any thread; signal handlers are installed only in the main
    thread (and only with ``options.handle_signals``). ``abort()`` is thread-safe.
    """

    def __init__(
        self,
        experiment: dict[str, Any],
        settings: ChaosrunSettings | None = None,
        *,
        clients: AwsClients | None = None,
        ledger: Ledger | None = None,
        options: RunOptions | None = None,
    ) -> None:
        self.experiment = copy.deepcopy(experiment)
        self.settings = settings or ChaosrunSettings.model_validate({})
        self.options = options or RunOptions()
        self.dry_run = self.options.dry_run or self.settings.safety.dry_run
        self.clients = clients or AwsClients(
            AwsSettings(profile=self.settings.aws.profile, region=self.settings.aws.region)
        )
        self.ledger = ledger or Ledger()
        self.state = RunState()
        self.stop = StopSignal("run")
        self.ctx = FaultContext(
            run_id=self.options.run_id or new_run_id(),
            clients=self.clients,
            ledger=self.ledger,
            dry_run=self.dry_run,
            max_targets=self.settings.safety.max_targets,
            allowed_regions=self.settings.safety.allowed_regions,
            on_change=self._on_fault,
        )
        self.stop.link(self.ctx.cancel)
        self.scrubber = Scrubber()
        self.executor: ActivityExecutor | None = None
        self.schedule = HypothesisSchedule()
        self._checks_during = 0  # done by the monitor, and how many of them deviated
        self._deviations_during = 0
        self._started = False
        self.alerts = RunAlerts(
            self.options.alert_settings,
            self.settings.alerts,
            self.clients,
            self.ctx.run_id,
            str(self.experiment.get("title", "")),
        )

    @property
    def run_id(self) -> str:
        return self.ctx.run_id

    # -- control from outside -------------------------------------------------------------
    def abort(self, reason: str = "aborted by the caller") -> None:
        """Stop the method at once; restore and rollbacks still run. Safe from any thread."""
        self._stop(StopReason.ABORT, reason)

    def _stop(self, reason: StopReason, message: str) -> None:
        if self.state.set_stop(reason, message):
            log.warning("stopping the run: %s", message)  # scrubbed by scrubbed_logs
            if reason is StopReason.DEVIATION:
                self.alerts.deviation(self.scrubber.text(message))
        self.stop.set()

    # -- the run --------------------------------------------------------------------------
    def run(self) -> Journal:
        if self._started:
            raise RuntimeError("a Runner runs once; create a new one")
        self._started = True
        with scrubbed_logs(self.scrubber):  # activity output and errors reach the logs too
            try:
                return self._run()
            except Exception as exc:
                # what escapes (invalid input, an unexpected error) is printed by the caller:
                # values substituted from secrets must not reach its stderr
                exc.args = self.scrubber(exc.args)
                raise

    @property
    def signal_received(self) -> str | None:
        """``interrupted by SIGTERM`` when a signal arrived during the run, also during restore
        and rollbacks (whatever else stopped the run): a batch starts no further experiment."""
        return self.state.signal_received

    def _run(self) -> Journal:
        executor = self._prepare()  # InvalidInput escapes here: nothing has changed
        guard = SignalGuard(
            lambda name: self._on_signal(name, guard.restoring),
            enabled=self.options.handle_signals,
        )
        set_active_context(self.ctx)
        try:
            with guard:
                try:
                    if self.state.stop_reason is None:
                        self._experiment(executor)
                except BaseException as exc:
                    self._record_exception(exc)
                finally:
                    guard.restoring = True
                    self._finish(executor)
            if guard.received:  # its handler thread may not have run yet: the verdict needs it
                self._on_signal(guard.received[0], restoring=True)
        finally:
            set_active_context(None)
        journal = build_journal(self.experiment, self.ctx, self.state, self.options, self.scrubber)
        self.alerts.finish(journal)
        return journal

    def _on_signal(self, name: str, restoring: bool) -> None:
        """The first SIGINT/SIGTERM: stops the run, or, once restore has begun, only marks it
        interrupted (restore and rollbacks are never cut short). An interrupted run is not
        ``held``: unless it deviated or left something impaired, its verdict is ``aborted``."""
        message = f"interrupted by {name}"
        if restoring:
            message += " during restore and rollbacks (they completed)"
        if self.state.set_signal(message):
            self._stop(StopReason.SIGNAL, message)

    def _prepare(self) -> ActivityExecutor:
        experiment = self.experiment
        if not isinstance(experiment, dict):
            raise InvalidInput("the experiment must be a mapping (a Chaos Toolkit experiment)")
        config_info = experiment.get("configuration") or {}
        try:
            configuration = load_configuration(config_info, dict(self.options.variables))
            secrets = load_secrets(
                experiment.get("secrets") or {},
                configuration,
                extra_vars=copy.deepcopy(self.options.secret_variables),
            )
        except ChaosException as exc:
            raise InvalidInput(f"configuration/secrets: {exc}") from None
        self.scrubber.add(secrets)
        self.scrubber.add(self.options.secret_variables)
        for key in {*secret_config_keys(config_info), *self.options.secret_config_keys}:
            self.scrubber.add(configuration.get(key))
        self.schedule = hypothesis_schedule(experiment, self.settings.monitoring)
        ignored = ignored_controls_message(experiment)
        if ignored:
            log.warning("%s", ignored)
            self.state.note(ignored)
        configuration = evaluate_dynamic(configuration, secrets, self.state, dry_run=self.dry_run)
        executor = ActivityExecutor(
            ctx=self.ctx,
            state=self.state,
            configuration=configuration,
            secrets=secrets,
            catalogue=catalogue(experiment),
            dry_run=self.dry_run,
        )
        self.executor = executor
        try:
            regions = validate_experiment(experiment, self.settings, executor, self.options.locate)
            # the default region says where AWS activities went; a run with none leaves it out,
            # as resolving it from a config-file profile would import boto3 for nothing
            if regions or self._uses_aws():
                regions = [*regions, self.clients.default_region]
            self.state.regions = sorted(set(regions))
        except SafetyViolation as exc:
            self.state.error(str(exc))
            self._stop(StopReason.FAILURE, f"refused by a safety check: {exc}")
        return executor

    def _experiment(self, executor: ActivityExecutor) -> None:
        self.state.event("phase", "safety checks")
        self._safety()
        probes = hypothesis_probes(self.experiment)
        if self.dry_run:
            self._method(executor, probes=[])
            return
        schedule = self.schedule  # CTK's runtime.hypothesis and chaosrun.monitoring, merged
        if schedule.strategy == "skip":
            probes = []
        if probes and schedule.before and not self.stop.is_set():
            self.state.event("phase", "steady state before")
            check = check_hypothesis(executor, probes, "before", self.stop)
            if self._record_check(check) and not check.steady_state_met:
                self.state.method_skipped = True
                self.state.note("steady state not met before the method: method skipped")
                return
        if self.stop.is_set():
            return
        if self._has_faults():
            self.ctx.begin(str(self.experiment.get("title", "")))
        self._method(executor, probes)
        if probes and schedule.after and not self.stop.is_set():
            self.state.event("phase", "steady state after")
            self._record_check(check_hypothesis(executor, probes, "after", self.stop))

    def _record_check(self, check: SteadyStateCheck) -> bool:
        """Keep a check unless the stop cut it short (then it measured nothing)."""
        if self.stop.is_set() and any(p.status == "cancelled" for p in check.probes):
            return False
        self.state.add_check(check)
        return True

    def _has_faults(self) -> bool:
        assert self.executor is not None
        return any(
            plugin_kind(self.executor.resolve(a)) == "fault"
            for a in self.experiment.get("method") or []
        )

    def _safety(self) -> None:
        if not self._uses_aws():
            self.state.note("no AWS activity and no account allow-list: account not looked up")
            return
        try:
            self.state.account_id = self.clients.account_id()
        except Exception as exc:
            self.state.note(f"could not read the account id (sts:GetCallerIdentity): {exc}")
        check_account(self.state.account_id, self.settings)

    def _uses_aws(self) -> bool:
        """Whether the run needs the caller's account: an allow-list, a chaosrun plugin (they
        all call AWS or record the account), or a chaostoolkit-aws provider."""
        if self.settings.safety.allowed_account_ids is not None:
            return True
        assert self.executor is not None
        hypothesis = self.experiment.get("steady-state-hypothesis") or {}
        activities = [
            *(hypothesis.get("probes") or []),
            *(self.experiment.get("method") or []),
            *(self.experiment.get("rollbacks") or []),
        ]
        for activity in activities:
            resolved = self.executor.resolve(activity)
            module = str((resolved.get("provider") or {}).get("module", ""))
            if module.startswith("chaosaws") or plugin_kind(resolved) is not None:
                return True
        return False

    def _method(self, executor: ActivityExecutor, probes: list[dict[str, Any]]) -> None:
        self.state.event("phase", "method" if not self.dry_run else "method (dry run)")
        monitor = None
        interval = self.schedule.interval
        if probes and interval:
            monitor = Monitor(
                executor,
                probes,
                interval,
                self._on_during_check,
                check_at_start=self.schedule.check_at_start,
            )
            monitor.start()
        background: list[Future[None]] = []
        try:
            method = list(self.experiment.get("method") or [])
            for index, activity in enumerate(method):
                if self.stop.is_set():
                    left = len(method) - index
                    self.state.note(f"{left} method activit{'y' if left == 1 else 'ies'} not run")
                    break
                if activity.get("background"):
                    background.append(
                        spawn(lambda a=activity: self._method_activity(executor, a))  # type: ignore[misc]
                    )
                else:
                    self._method_activity(executor, activity)
            for future in background:
                self.stop.wait_future(future)
        finally:
            if monitor is not None:
                monitor.close()
            if background:
                wait(background, timeout=BACKGROUND_GRACE)
            for future in background:
                if future.done() and future.exception() is not None:
                    self._record_exception(future.exception())  # type: ignore[arg-type]

    def _method_activity(self, executor: ActivityExecutor, activity: dict[str, Any]) -> None:
        run = executor.execute(activity, "method", self.stop)
        self.state.add_run(run)
        if run.status in ("failed", "timeout"):
            name = run.activity.get("name", "?")
            detail = (run.exception or [""])[-1]
            if run.activity.get("type") == "action":
                self._stop(StopReason.FAILURE, f"action {name!r} {run.status}: {detail}")
            else:
                self.state.error(f"probe {name!r} in the method {run.status}: {detail}")

    def _on_during_check(self, check: SteadyStateCheck) -> None:
        """Record a check; with fail_fast, stop once the deviated share reaches the ratio
        (without it the method goes on and the verdict is ``deviated`` at the end)."""
        self.state.add_check(check)
        self._checks_during += 1
        if check.steady_state_met:
            return
        self._deviations_during += 1
        share = self._deviations_during / self._checks_during
        if self.schedule.fail_fast and share >= self.schedule.fail_fast_ratio:
            failing = [
                str(p.activity.get("name")) for p in check.probes if p.tolerance_met is False
            ]
            self._stop(
                StopReason.DEVIATION,
                f"steady state deviated during the method ({', '.join(failing)}); stopped "
                "the method and restored",
            )

    def _on_fault(self, record: FaultRecord) -> None:
        if record.dry_run:
            return
        for target in record.targets:
            if target.injected_at is not None:
                self.state.event(
                    "fault-injected", f"{record.fault} on {target.target}", target.injected_at
                )

    def _record_exception(self, exc: BaseException) -> None:
        if isinstance(exc, KeyboardInterrupt):
            self.state.set_signal("interrupted (KeyboardInterrupt)")
            self._stop(StopReason.SIGNAL, "interrupted (KeyboardInterrupt)")
            return
        if isinstance(exc, ChaosrunError):
            message = f"{type(exc).__name__}: {exc}"
            self.state.error(message)
            self._stop(StopReason.FAILURE, message)
            return
        log.error("unexpected error in the run", exc_info=exc)  # scrubbed by scrubbed_logs
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        self.state.error("".join(lines).rstrip())
        self._stop(StopReason.ERROR, f"unexpected error: {type(exc).__name__}: {exc}")

    def _finish(self, executor: ActivityExecutor) -> None:
        """Restore every fault of this run, then the declared rollbacks. Never raises."""
        self.stop.set()  # nothing of the method may still change targets
        try:
            settled = executor.wait_for_faults(self.options.fault_grace)
            if not settled:
                self.state.error(
                    f"a fault call was still running after {self.options.fault_grace:g} s: its "
                    "targets were not restored (a write landing later would undo the restore); "
                    f"once this process has exited, run `chaosrun rollback --run {self.run_id}`"
                )
            restore_faults(self.ctx, self.state, skip_unfinished=not settled)
        except Exception as exc:
            self.state.restore_problems.append(f"restore phase failed: {exc}")
            self.state.error(f"restore phase failed: {type(exc).__name__}: {exc}")
        if self.state.restore_problems:
            self.alerts.restore_failed(list(self.state.restore_problems))
        try:
            self._rollbacks(executor)
        except Exception as exc:
            self.state.rollback_failures.append(f"rollbacks failed: {exc}")
            self.state.error(f"rollbacks failed: {type(exc).__name__}: {exc}")
        self.state.event("phase", "end")

    def _rollbacks(self, executor: ActivityExecutor) -> None:
        rollbacks = list(self.experiment.get("rollbacks") or [])
        if not rollbacks:
            return
        self.state.event("phase", "rollbacks")
        stop = StopSignal("rollbacks")  # rollbacks are never interrupted
        for activity in rollbacks:
            run: ActivityRun = executor.execute(activity, "rollback", stop)
            self.state.add_run(run, rollback=True)
            name = run.activity.get("name", "?")
            self.state.event("rollback", f"{name}: {run.status}")
            if run.status not in ("succeeded", "skipped"):
                detail = (run.exception or [""])[-1]
                self.state.rollback_failures.append(f"rollback {name!r} {run.status}: {detail}")


def settings_from(experiment: dict[str, Any]) -> ChaosrunSettings:
    """The ``chaosrun:`` block of a CTK experiment dict."""
    try:
        return ChaosrunSettings.model_validate(experiment.get("chaosrun") or {})
    except ValidationError as exc:
        raise InvalidInput(f"chaosrun settings: {exc}") from None


def run_experiment(
    experiment: dict[str, Any],
    settings: ChaosrunSettings | None = None,
    *,
    clients: AwsClients | None = None,
    ledger: Ledger | None = None,
    options: RunOptions | None = None,
) -> Journal:
    """Run ``experiment`` (a CTK dict) and return its journal; settings default to its
    ``chaosrun:`` block."""
    if settings is None:
        settings = settings_from(experiment)
    return Runner(experiment, settings, clients=clients, ledger=ledger, options=options).run()
