"""Global stop conditions: CloudWatch alarms and steady-state probes that halt the whole day.

A watcher thread checks them every ``interval`` seconds while the day runs. Fail-safe: a probe
that errors or an alarm that cannot be read counts as tripped, because a day that cannot see
its safety signals should not keep injecting faults.

A process probe runs like the engine's (:class:`ProcessRun`): in a process group of its own,
killed whole when its provider ``timeout`` passes or when the watcher stops with the day, so no
probe process outlives the day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from chaoslib.activity import run_activity
from chaoslib.hypothesis import within_tolerance

from chaosrun.aws.clients import AwsClients
from chaosrun.engine.process_provider import ProcessRun, is_process
from chaosrun.gameday.plan import StopConditions

log = logging.getLogger(__name__)

#: told of each process probe before it starts, so that it can be killed from another thread,
#: and told None once it has ended, so that nothing keeps (and later kills) a finished one
OnProcess = Callable[[ProcessRun | None], None]


def run_probe(probe: dict[str, Any], on_process: OnProcess | None = None) -> Any:
    """The probe's value; a process probe through :class:`ProcessRun`, others through chaoslib."""
    if not is_process(probe):
        return run_activity(probe, {}, {})
    process = ProcessRun(probe, {}, {})
    if on_process is None:
        return process.run()
    on_process(process)
    try:
        return process.run()
    finally:
        on_process(None)


def tripped(
    conditions: StopConditions, clients: AwsClients, on_process: OnProcess | None = None
) -> str | None:
    """The reason to halt, or None when every condition is fine."""
    by_region: dict[str | None, list[str]] = {}
    for alarm in conditions.alarms:
        by_region.setdefault(alarm.region, []).append(alarm.name)
    for region, names in by_region.items():
        try:
            resp = clients.client("cloudwatch", region).describe_alarms(AlarmNames=names)
        except Exception as exc:
            return f"cannot read alarms {names}: {exc}"
        states = {a["AlarmName"]: a["StateValue"] for a in resp.get("MetricAlarms", [])}
        for name in names:
            if name not in states:
                return f"alarm {name} does not exist in {region or clients.default_region}"
            if states[name] == "ALARM":
                return f"alarm {name} is in ALARM"
    for probe in conditions.probes:
        name = probe.get("name", "probe")
        try:
            value = run_probe(probe, on_process)
        except Exception as exc:
            return f"stop-condition probe {name} failed: {exc}"
        tolerance: Any = probe.get("tolerance")
        if tolerance is not None and not within_tolerance(tolerance, value):
            return f"stop-condition probe {name} is out of tolerance (got {value!r})"
    return None


class StopWatcher:
    def __init__(
        self,
        conditions: StopConditions,
        clients: AwsClients,
        on_trip: Callable[[str], None],
    ) -> None:
        self.conditions = conditions
        self.clients = clients
        self.on_trip = on_trip
        self.reason: str | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._process: ProcessRun | None = None
        self._thread = threading.Thread(target=self._loop, name="stop-conditions", daemon=True)

    @property
    def active(self) -> bool:
        return bool(self.conditions.alarms or self.conditions.probes)

    def start(self) -> None:
        if self.active:
            self._thread.start()

    def stop(self) -> None:
        """Stop checking; a process probe still running is killed (it would outlive the day)."""
        self._stop.set()
        with self._lock:
            process = self._process
        if process is not None:
            killed = process.kill()
            if killed is not None:
                log.warning("stop-condition probe ended with the day: %s", killed.describe())
        if self._thread.is_alive():
            self._thread.join(timeout=self.conditions.interval + 5)

    def _track(self, process: ProcessRun | None) -> None:
        """Remember the probe process running now (None: it ended), for stop() to kill."""
        with self._lock:
            self._process = process
        if process is not None and self._stop.is_set():  # stop() may have looked before this
            process.kill()

    def _loop(self) -> None:
        while not self._stop.wait(self.conditions.interval):
            reason = tripped(self.conditions, self.clients, self._track)
            if self._stop.is_set():
                return  # a probe killed by stop() is not a tripped condition
            if reason:
                log.error("stop condition tripped: %s", reason)
                self.reason = reason
                self.on_trip(reason)
                return
