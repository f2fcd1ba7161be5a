"""A local scheduler that survives restarts.

State (last occurrence handled, announcement sent, run in progress) is written atomically and
fsynced *before* a run starts, so a scheduler killed mid-run never runs that occurrence twice;
after a restart it reports the interrupted run and every occurrence it missed while down, then
runs only the next one due. Occurrences inside a blackout window are skipped and reported.
Announcements go out ``announce_before_minutes`` ahead of a run (to the alert sinks, via the
``announce`` callback). The clock is injected, so tests drive it without waiting.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaosrun.gameday.windows import Blackout, Trigger, in_blackout


class ScheduleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    plan: str = Field(description="game-day plan or experiment file to run")
    trigger: Trigger
    announce_before_minutes: int = Field(0, ge=0)
    blackouts: list[Blackout] = Field(default_factory=list)
    #: how late a run may still start (a scheduler asleep longer reports it missed)
    grace_minutes: int = Field(5, ge=0)


class Outcome(BaseModel):
    schedule: str
    due: datetime
    status: Literal["ran", "failed", "missed", "skipped-blackout", "interrupted", "announced"]
    at: datetime
    exit_code: int | None = None
    detail: str = ""


class EntryState(BaseModel):
    created: datetime
    last_due: datetime | None = None
    running: datetime | None = None
    announced_for: datetime | None = None
    history: list[Outcome] = Field(default_factory=list)


class SchedulerState(BaseModel):
    entries: dict[str, EntryState] = Field(default_factory=dict)


Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    def __init__(
        self,
        entries: list[ScheduleEntry],
        state_path: Path,
        *,
        launch: Callable[[ScheduleEntry], int],
        announce: Callable[[ScheduleEntry, datetime], None] | None = None,
        clock: Clock = utcnow,
        global_blackouts: list[Blackout] | None = None,
        history_limit: int = 200,
    ) -> None:
        self.entries = entries
        self.state_path = Path(state_path)
        self.launch = launch
        self.announce = announce
        self.clock = clock
        self.global_blackouts = global_blackouts or []
        self.history_limit = history_limit
        self.state = self._load()

    # -- persistence -----------------------------------------------------------------------
    def _load(self) -> SchedulerState:
        if self.state_path.exists():
            return SchedulerState.model_validate_json(self.state_path.read_text())
        return SchedulerState()

    def _save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(self.state.model_dump_json(indent=1))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.state_path)

    def _record(self, st: EntryState, outcome: Outcome) -> Outcome:
        st.history = [*st.history, outcome][-self.history_limit :]
        return outcome

    # -- the loop --------------------------------------------------------------------------
    def tick(self) -> list[Outcome]:
        """Handle everything due up to now. Returns what happened, in order."""
        outcomes: list[Outcome] = []
        for entry in self.entries:
            outcomes.extend(self._tick_entry(entry))
        return outcomes

    def _tick_entry(self, entry: ScheduleEntry) -> list[Outcome]:
        now = self.clock()
        st = self.state.entries.get(entry.name)
        if st is None:
            st = self.state.entries[entry.name] = EntryState(created=now)
            self._save()
        out: list[Outcome] = []
        if st.running is not None:
            out.append(
                self._record(
                    st,
                    Outcome(
                        schedule=entry.name,
                        due=st.running,
                        status="interrupted",
                        at=now,
                        detail="the scheduler stopped during this run; not run again. Check "
                        "`chaosrun rollback` restored everything.",
                    ),
                )
            )
            st.running = None
            self._save()
        dues = entry.trigger.occurrences(st.last_due or st.created, now)
        if dues:
            latest = dues[-1]
            for missed in dues[:-1]:
                out.append(self._record(st, self._missed(entry, missed, now)))
            blackouts = [*entry.blackouts, *self.global_blackouts]
            blackout = in_blackout(blackouts, latest)
            st.last_due = latest
            if now - latest > timedelta(minutes=entry.grace_minutes):
                out.append(self._record(st, self._missed(entry, latest, now)))
                self._save()
            elif blackout is not None:
                detail = f"blackout window{': ' + blackout.reason if blackout.reason else ''}"
                out.append(
                    self._record(
                        st,
                        Outcome(
                            schedule=entry.name,
                            due=latest,
                            status="skipped-blackout",
                            at=now,
                            detail=detail,
                        ),
                    )
                )
                self._save()
            else:
                st.running = latest
                self._save()  # write-ahead: a crash from here on never runs `latest` twice
                try:
                    code = self.launch(entry)
                    status: Literal["ran", "failed"] = "ran" if code in (0, 1) else "failed"
                    outcome = Outcome(
                        schedule=entry.name,
                        due=latest,
                        status=status,
                        at=self.clock(),
                        exit_code=code,
                    )
                except Exception as exc:
                    outcome = Outcome(
                        schedule=entry.name,
                        due=latest,
                        status="failed",
                        at=self.clock(),
                        detail=f"{type(exc).__name__}: {exc}",
                    )
                st.running = None
                out.append(self._record(st, outcome))
                self._save()
        out.extend(self._announce(entry, st))
        return out

    def _missed(self, entry: ScheduleEntry, due: datetime, now: datetime) -> Outcome:
        return Outcome(
            schedule=entry.name,
            due=due,
            status="missed",
            at=now,
            detail="the scheduler was not running at that time",
        )

    def _announce(self, entry: ScheduleEntry, st: EntryState) -> list[Outcome]:
        if not entry.announce_before_minutes or self.announce is None:
            return []
        now = self.clock()
        nxt = entry.trigger.next_after(max(now, st.last_due or st.created))
        if nxt is None or st.announced_for == nxt:
            return []
        if nxt - timedelta(minutes=entry.announce_before_minutes) > now:
            return []
        if in_blackout([*entry.blackouts, *self.global_blackouts], nxt):
            return []
        self.announce(entry, nxt)
        st.announced_for = nxt
        outcome = self._record(
            st, Outcome(schedule=entry.name, due=nxt, status="announced", at=now)
        )
        self._save()
        return [outcome]

    def next_wakeup(self) -> datetime | None:
        """The next moment something is due (a run or an announcement)."""
        now = self.clock()
        moments: list[datetime] = []
        for entry in self.entries:
            nxt = entry.trigger.next_after(now)
            if nxt is None:
                continue
            moments.append(nxt)
            if entry.announce_before_minutes:
                ann = nxt - timedelta(minutes=entry.announce_before_minutes)
                if ann > now:
                    moments.append(ann)
        return min(moments) if moments else None

    def run_forever(self, stop: threading.Event, max_sleep: float = 60.0) -> None:
        while not stop.is_set():
            self.tick()
            wake = self.next_wakeup()
            if wake is None:
                return
            delay = (wake - self.clock()).total_seconds()
            stop.wait(min(max(delay, 0.5), max_sleep))

    def report(self) -> list[Outcome]:
        return sorted(
            (o for st in self.state.entries.values() for o in st.history), key=lambda o: o.at
        )


class ScheduleFile(BaseModel):
    """A schedules file: ``schedules``, global ``blackouts``, and ``alerts`` sinks that hear the
    announcements (same schema as an experiment's ``chaosrun.alerts``)."""

    model_config = ConfigDict(extra="forbid")

    schedules: list[ScheduleEntry] = Field(default_factory=list)
    blackouts: list[Blackout] = Field(default_factory=list)
    alerts: list[dict[str, Any]] = Field(default_factory=list)


def load_schedule_file(path: Path) -> ScheduleFile:
    """Read and validate a schedules file; issues name the file, line and field."""
    from chaosrun.errors import ExperimentInvalid, ValidationIssue
    from chaosrun.experiment.source import SourceError, parse_document
    from chaosrun.experiment.validate import issues_from_errors

    try:
        doc = parse_document(path)
    except SourceError as exc:
        raise ExperimentInvalid([ValidationIssue(str(path), exc.line, "", exc.message)]) from None
    try:
        return ScheduleFile.model_validate(doc.data or {})
    except ValidationError as exc:
        raise ExperimentInvalid(
            issues_from_errors(exc.errors(), doc.data, doc.lines, ScheduleFile)
        ) from None


def announce(
    sinks: list[dict[str, Any]], entry: ScheduleEntry, due: datetime, settings: Any = None
) -> list[Any]:
    """Tell the alert sinks that ``entry`` starts at ``due`` (chat/event sinks; pagers skip it).
    Returns the deliveries."""
    from chaosrun.alerts.config import AlertSettings, Condition
    from chaosrun.alerts.dispatch import load_dispatcher
    from chaosrun.alerts.events import AlertContext, AlertEvent

    dispatcher = load_dispatcher(settings or AlertSettings(), sinks)
    message = f"{entry.plan} starts at {due.isoformat()} (schedule {entry.name})"
    ctx = AlertContext(
        run_id=f"scheduled-{entry.name}-{due:%Y%m%dT%H%M%SZ}",
        title=entry.name,
        reason=message,
        experiment_file=entry.plan,
    )
    dispatcher.notify(AlertEvent(condition=Condition.ANNOUNCEMENT, message=message), ctx)
    return dispatcher.close(30)


def dump_state(path: Path) -> str:
    return json.dumps(json.loads(Path(path).read_text()), indent=2)
