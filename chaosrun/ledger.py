"""The on-disk restore ledger.

Before any change, the fault's snapshot is appended to ``<ledger>/<run_id>.jsonl`` and fsynced,
so a run killed at any point (even ``kill -9``) can be restored by ``chaosrun rollback``.
Records are append-only JSON lines:

- ``run``: run id, pid, host, start time, AWS settings;
- ``intent``: entry id, fault name, parameters, target, ``before`` and planned ``after`` state
  (written *before* the change);
- ``applied``: the change was made;
- ``restored``: a restore outcome (``restored``, ``already``, ``gone`` settle the entry;
  ``drift`` and ``failed`` leave it pending so a later rollback reports it again);
- ``end``: the run finished its restore phase.

The default ledger lives in ``$CHAOSRUN_HOME/ledger`` (``~/.chaosrun/ledger``).
Once every change of a run is settled, its file moves to ``<ledger>/done/``: held-target
checks and ``chaosrun rollback`` read only unfinished runs, however long the history.
"""

# Annotations stay eager (no `from __future__ import annotations`): pydantic would compile
# and evaluate every string annotation at import, ~5 ms of each run's start-up.
import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from chaosrun.errors import LedgerError
from chaosrun.factories import empty_list
from chaosrun.targets import RestoreResult, RestoreStatus, Target

log = logging.getLogger(__name__)

SETTLED = {
    RestoreStatus.RESTORED,
    RestoreStatus.ALREADY,
    RestoreStatus.GONE,
    RestoreStatus.ACCEPTED,
}


def default_ledger_dir() -> Path:
    home = os.environ.get("CHAOSRUN_HOME") or str(Path.home() / ".chaosrun")
    return Path(home) / "ledger"


def now() -> datetime:
    return datetime.now(UTC)


# The record models are built at import, never with ``defer_build``: they are first used from
# the fault pool's threads, and pydantic 2.13 builds a deferred schema without a lock (two
# threads at once can leave a half-built model: a failed intent write, a record without its
# entry_id). tests/test_ledger_records_built.py holds this.


class AwsRecord(BaseModel):
    """How a run reached AWS, so that ``chaosrun rollback`` reaches the same account."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


class RunRecord(BaseModel):
    type: Literal["run"] = "run"
    run_id: str
    pid: int
    host: str
    started: datetime
    experiment: str = ""
    aws: AwsRecord = Field(default_factory=AwsRecord)


class IntentRecord(BaseModel):
    type: Literal["intent"] = "intent"
    entry_id: str
    run_id: str
    seq: int
    group: str = Field(description="activity that produced it; restored as one unit")
    fault: str
    params: dict[str, Any]
    target: Target
    before: dict[str, Any]
    after: dict[str, Any]
    at: datetime


class AppliedRecord(BaseModel):
    type: Literal["applied"] = "applied"
    entry_id: str
    at: datetime


class RestoredRecord(BaseModel):
    type: Literal["restored"] = "restored"
    entry_id: str
    result: RestoreResult
    at: datetime


class EndRecord(BaseModel):
    type: Literal["end"] = "end"
    at: datetime


class LedgerEntry(BaseModel):
    """The folded view of one intent and what happened to it."""

    intent: IntentRecord
    applied: bool = False
    results: list[RestoredRecord] = Field(default_factory=empty_list)

    @property
    def settled(self) -> bool:
        return bool(self.results) and self.results[-1].result.status in SETTLED

    @property
    def last_result(self) -> RestoreResult | None:
        return self.results[-1].result if self.results else None


class LedgerRun(BaseModel):
    run: RunRecord
    entries: list[LedgerEntry]
    ended: bool

    @property
    def pending(self) -> list[LedgerEntry]:
        return [e for e in self.entries if not e.settled]

    def is_alive(self) -> bool:
        """Whether the process that owns this run is still running on this host."""
        if self.ended or self.run.host != socket.gethostname():
            return False
        try:
            os.kill(self.run.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class Ledger:
    """Append-only, fsynced journal of every change chaosrun makes."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory else default_ledger_dir()
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}

    @property
    def done_directory(self) -> Path:
        """Where a run's file moves once everything it changed is settled: lookups of held
        targets and ``chaosrun rollback`` then read only unfinished runs, not all history."""
        return self.directory / "done"

    def path(self, run_id: str) -> Path:
        active = self.directory / f"{run_id}.jsonl"
        if active.exists():
            return active
        done = self.done_directory / active.name
        return done if done.exists() else active

    def _append(self, run_id: str, record: BaseModel) -> None:
        line = record.model_dump_json() + "\n"
        path = self.path(run_id)
        with self._lock:
            try:
                new = not path.exists()
                if new:
                    self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line.encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
                if new:
                    dfd = os.open(self.directory, os.O_RDONLY)
                    try:
                        os.fsync(dfd)
                    finally:
                        os.close(dfd)
            except OSError as exc:
                raise LedgerError(
                    f"cannot write the restore ledger {path}: {exc}. Nothing was changed; fix the "
                    "directory (or set CHAOSRUN_HOME) and run again."
                ) from exc

    # -- writing ---------------------------------------------------------------------------
    def begin(self, run_id: str, experiment: str = "", aws: AwsRecord | None = None) -> None:
        self._append(
            run_id,
            RunRecord(
                run_id=run_id,
                pid=os.getpid(),
                host=socket.gethostname(),
                started=now(),
                experiment=experiment,
                aws=aws or AwsRecord(),
            ),
        )

    def intent(
        self,
        run_id: str,
        *,
        entry_id: str,
        group: str,
        fault: str,
        params: dict[str, Any],
        target: Target,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> IntentRecord:
        with self._lock:
            seq = self._seq.get(run_id, 0) + 1
            self._seq[run_id] = seq
        record = IntentRecord(
            entry_id=entry_id,
            run_id=run_id,
            seq=seq,
            group=group,
            fault=fault,
            params=params,
            target=target,
            before=before,
            after=after,
            at=now(),
        )
        self._append(run_id, record)
        return record

    def applied(self, run_id: str, entry_id: str) -> None:
        self._append(run_id, AppliedRecord(entry_id=entry_id, at=now()))

    def restored(self, run_id: str, entry_id: str, result: RestoreResult) -> None:
        self._append(run_id, RestoredRecord(entry_id=entry_id, result=result, at=now()))

    def end(self, run_id: str) -> None:
        """Record that the run's changes are all settled and archive its file."""
        self._append(run_id, EndRecord(at=now()))
        path = self.path(run_id)
        if path.parent == self.done_directory:
            return
        with self._lock:
            try:
                self.done_directory.mkdir(exist_ok=True)
                os.replace(path, self.done_directory / path.name)
                for directory in (self.directory, self.done_directory):
                    dfd = os.open(directory, os.O_RDONLY)
                    try:
                        os.fsync(dfd)
                    finally:
                        os.close(dfd)
            except OSError as exc:  # the end record is written: staying in place is harmless
                log.warning("could not archive ledger %s: %s", path, exc)

    # -- reading ---------------------------------------------------------------------------
    def load(self, run_id: str) -> LedgerRun:
        path = self.path(run_id)
        run: RunRecord | None = None
        entries: dict[str, LedgerEntry] = {}
        ended = False
        try:
            lines = path.read_text().splitlines()
        except OSError as exc:
            raise LedgerError(f"cannot read ledger {path}: {exc}") from exc
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines):
                    continue  # a torn last line from a kill mid-write: the change never happened
                raise LedgerError(f"{path}:{number}: corrupt ledger line") from None
            kind = data.get("type")
            if kind == "run":
                run = RunRecord.model_validate(data)
            elif kind == "intent":
                intent = IntentRecord.model_validate(data)
                entries[intent.entry_id] = LedgerEntry(intent=intent)
            elif kind == "applied" and data["entry_id"] in entries:
                entries[data["entry_id"]].applied = True
            elif kind == "restored" and data["entry_id"] in entries:
                entries[data["entry_id"]].results.append(RestoredRecord.model_validate(data))
            elif kind == "end":
                ended = True
        if run is None:
            raise LedgerError(f"{path}: no run record; not a chaosrun ledger file")
        return LedgerRun(run=run, entries=list(entries.values()), ended=ended)

    def runs(self) -> Iterator[LedgerRun]:
        """Unfinished runs (finished ones are archived by :meth:`end`)."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.jsonl")):
            yield self.load(path.stem)

    def pending_runs(self) -> list[LedgerRun]:
        return [r for r in self.runs() if r.pending]

    def held_targets(self, *, exclude_run: str | None = None) -> dict[str, list[str]]:
        """ARN -> ids of unfinished runs with an unsettled change on it (one pass over the
        ledger, whatever the number of targets)."""
        held: dict[str, list[str]] = {}
        for run in self.runs():
            if run.run.run_id == exclude_run:
                continue
            for entry in run.pending:
                held.setdefault(entry.intent.target.arn, []).append(run.run.run_id)
        return held
