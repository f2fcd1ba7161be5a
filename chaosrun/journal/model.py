"""Typed run journal, a superset of Chaos Toolkit's journal.

The top-level fields are Chaos Toolkit's (``status``, ``deviated``, ``steady_states``, ``run``,
``rollbacks`` ...) so tools that read CTK journals keep working; everything chaosrun adds lives
under the ``chaosrun`` key. Reports, JUnit, Markdown, alerts and history read this model only,
never engine internals.
"""

# Annotations stay eager (no `from __future__ import annotations`): pydantic would compile
# and evaluate every string annotation at import, ~5 ms of each run's start-up.
import enum
import gc
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Self

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, InstanceOf, TypeAdapter, model_validator
from pydantic.dataclasses import dataclass

from chaosrun.factories import empty_list
from chaosrun.targets import RestoreResult, Target


class Verdict(enum.StrEnum):
    HELD = "held"  # steady state held throughout; everything restored        -> exit 0
    DEVIATED = "deviated"  # hypothesis deviated (before/during/after); restored -> exit 1
    ABORTED = "aborted"  # interrupted or errored; restored                     -> exit 3
    RESTORE_INCOMPLETE = "restore_incomplete"  # drift or failed restore       -> exit 4

    @property
    def exit_code(self) -> int:
        return {"held": 0, "deviated": 1, "aborted": 3, "restore_incomplete": 4}[self.value]


Phase = Literal["before", "during", "after"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


if TYPE_CHECKING:
    RawActivity = dict[str, Any]
else:
    #: an activity as the experiment declared it: checked to be a mapping, kept as it is (a
    #: copy per run would cost a one-hour journal ~18,000 dicts to build and to free)
    RawActivity = InstanceOf[dict]


@dataclass(slots=True, kw_only=True, config=ConfigDict(extra="forbid"))
class ActivityRun:
    """One execution of an activity (CTK's ``run`` item, plus our status values).

    A slotted pydantic dataclass rather than a model: a one-hour run's journal holds ~18,000 of
    them, and a dataclass instance has no ``__dict__`` or fields-set to build and free, which
    halves what reading them costs (``bench/report_render.py``). Validation is the same.
    """

    activity: RawActivity
    status: Literal["succeeded", "failed", "timeout", "cancelled", "skipped"]
    output: Any = None
    start: datetime
    end: datetime | None = None
    duration: float | None = None
    exception: list[str] | None = None
    tolerance_met: bool | None = None
    phase: str | None = Field(None, description="before/during/after/method/rollback")


@dataclass(slots=True, kw_only=True, config=ConfigDict(extra="forbid"))
class SteadyStateCheck:
    """One evaluation of the whole hypothesis (a slotted dataclass like :class:`ActivityRun`:
    a one-hour run checks 3,600 times)."""

    phase: Phase
    at: datetime
    steady_state_met: bool
    probes: list[ActivityRun]


class SteadyStates(_Model):
    before: SteadyStateCheck | None = None
    after: SteadyStateCheck | None = None
    during: list[SteadyStateCheck] = Field(default_factory=empty_list)


class TargetRecord(_Model):
    entry_id: str
    target: Target
    before: dict[str, Any]
    after: dict[str, Any]
    injected_at: datetime | None = None
    error: str | None = None
    restore: RestoreResult | None = None
    restored_at: datetime | None = None


class FaultRecord(_Model):
    """A fault activity: what it targeted, what it changed, and how each change was restored."""

    activity: str
    fault: str
    params: dict[str, Any]
    permissions: list[str]
    seed: int | None = None
    dry_run: bool = False
    targets: list[TargetRecord] = Field(default_factory=empty_list)
    started: datetime
    ended: datetime | None = None


def _columns(points: Sequence[tuple[datetime, float | None]]) -> dict[str, Any]:
    start = min((at for at, _ in points), default=None)
    if start is None:
        return {}
    return {
        "start": start,
        "offsets": [(at - start).total_seconds() for at, _ in points],
        "values": [v for _, v in points],
    }


@cache
def _points_adapter() -> TypeAdapter[list[tuple[datetime, float | None]]]:
    return TypeAdapter(list[tuple[datetime, float | None]])


def _parse_points(raw: Any) -> list[tuple[datetime, float | None]]:
    """Old journals' ``[[ISO timestamp, value], ...]``: ``datetime.fromisoformat`` reads the
    timestamps we wrote (``...Z``) with the one ``timezone.utc``, which makes the offsets cheap
    to take; anything else goes through pydantic."""
    try:
        return [
            (datetime.fromisoformat(at), v if v is None or type(v) is float else float(v))
            for at, v in raw
        ]
    except (TypeError, ValueError):
        return _points_adapter().validate_python(raw)


class Series(_Model):
    """A time series for the report's timeline (probe values, traffic buckets).

    Stored by column: sample ``i`` was taken ``offsets[i]`` seconds after ``start`` and is
    ``values[i]`` (``None``: no value, a gap). A one-hour 10 Hz series is 36,000 numbers twice
    instead of 36,000 ``[timestamp, value]`` pairs: a third of the JSON and no date parsing when
    the journal is read. Journals written before this encoding (``points``: a list of
    ``[timestamp, value]``) still load; ``Series(name=..., points=[(at, v), ...])`` builds one.
    """

    name: str
    unit: str = ""
    start: datetime | None = Field(None, description="time of offset 0 (the first sample)")
    offsets: list[float] = Field(default_factory=empty_list, description="seconds after start")
    values: list[float | None] = Field(default_factory=empty_list)

    @model_validator(mode="before")
    @classmethod
    def _from_points(cls, data: Any) -> Any:
        if not (isinstance(data, dict) and "points" in data):
            return data
        if {"start", "offsets", "values"} & data.keys():
            raise ValueError("a series has either points or start/offsets/values, not both")
        data = dict(data)
        try:
            return data | _columns(_parse_points(data.pop("points")))
        except TypeError as exc:  # e.g. timestamps with and without a timezone in one series
            raise ValueError(f"series {data.get('name')!r}: unreadable points: {exc}") from exc

    @classmethod
    def from_points(
        cls, name: str, points: Sequence[tuple[datetime, float | None]], unit: str = ""
    ) -> Self:
        """A series from ``(time, value)`` pairs."""
        return cls(name=name, unit=unit, **_columns(points))

    @model_validator(mode="after")
    def _same_length(self) -> Self:
        if len(self.offsets) != len(self.values):
            raise ValueError(
                f"series {self.name!r}: {len(self.offsets)} offsets but {len(self.values)} values"
            )
        if self.offsets and self.start is None:
            raise ValueError(f"series {self.name!r}: offsets need a start time")
        return self

    @property
    def points(self) -> list[tuple[datetime, float | None]]:
        """The samples as ``(time, value)`` pairs (built on each call)."""
        if self.start is None:
            return []
        start = self.start
        return [
            (start + timedelta(seconds=o), v)
            for o, v in zip(self.offsets, self.values, strict=True)
        ]

    def extend(self, other: "Series") -> None:
        """Append ``other``'s samples (re-based onto this series' start)."""
        if other.start is None or not other.values:
            return
        if self.start is None:
            self.start = other.start
        shift = (other.start - self.start).total_seconds()
        self.offsets.extend(round(o + shift, 6) for o in other.offsets)
        self.values.extend(other.values)


EventKind = Literal[
    "phase",
    "fault-injected",
    "fault-restored",
    "deviation",
    "abort",
    "error",
    "rollback",
    "note",
    "alert",
]


class Event(_Model):
    at: datetime
    kind: EventKind
    message: str


class AlertDelivery(_Model):
    sink: str
    event: str
    status: Literal["delivered", "failed", "skipped"]
    attempts: int = 0
    at: datetime
    detail: str = ""


class Environment(_Model):
    account_id: str | None = None
    regions: list[str] = Field(default_factory=empty_list)
    profile: str | None = None
    endpoint_url: str | None = None
    sandbox: bool = False
    user: str | None = None
    host: str | None = None
    chaosrun_version: str
    chaoslib_version: str | None = None
    python_version: str
    platform: str


class Measurement(_Model):
    """A named figure worth showing on its own (RTO, RPO, availability ...)."""

    name: str
    value: float | int | None
    unit: str = ""
    bound: float | None = None
    ok: bool | None = None
    detail: str = ""


class ChaosrunSection(_Model):
    run_id: str
    experiment_file: str | None = None
    verdict: Verdict
    exit_code: int
    reason: str = ""
    dry_run: bool = False
    deviated_at: datetime | None = None
    environment: Environment
    faults: list[FaultRecord] = Field(default_factory=empty_list)
    events: list[Event] = Field(default_factory=empty_list)
    series: list[Series] = Field(default_factory=empty_list)
    measurements: list[Measurement] = Field(default_factory=empty_list)
    alerts: list[AlertDelivery] = Field(default_factory=empty_list)
    errors: list[str] = Field(default_factory=empty_list)
    notes: list[str] = Field(default_factory=empty_list)


class Journal(BaseModel):
    """A run's journal. Field names match Chaos Toolkit's journal where they overlap."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    #: Chaos Toolkit spells it ``chaoslib-version`` (chaostoolkit-reporting needs that key)
    chaoslib_version: str | None = Field(None, alias="chaoslib-version")
    platform: str
    node: str
    experiment: dict[str, Any]
    start: datetime
    end: datetime
    duration: float
    status: Literal["completed", "failed", "aborted", "interrupted"]
    deviated: bool
    steady_states: SteadyStates
    run: list[ActivityRun]
    rollbacks: list[ActivityRun]
    chaosrun: ChaosrunSection

    @property
    def verdict(self) -> Verdict:
        return self.chaosrun.verdict

    @property
    def title(self) -> str:
        return str(self.experiment.get("title", "untitled experiment"))

    def restores(self) -> list[tuple[FaultRecord, TargetRecord]]:
        return [(f, t) for f in self.chaosrun.faults for t in f.targets]

    def to_json(self) -> str:
        """The journal as compact JSON (no indentation).

        Journals are read by programs (``chaosrun report``, Chaos Toolkit's tools, ``jq``);
        indentation doubled a one-hour run's journal (11 -> 23 MB) and slowed every read.
        ``jq . J.json`` or ``python -m json.tool J.json`` shows it indented.
        """
        return self.model_dump_json(by_alias=True)

    @classmethod
    def from_file(cls, path: str) -> Self:
        """Read and validate a journal file.

        The JSON is parsed to Python objects first and then validated (pydantic's Python mode):
        about a third faster than ``model_validate_json`` on a one-hour journal. The cyclic
        garbage collector is paused meanwhile: parsing creates about a million containers that
        hold no cycles, and the collections their allocation triggers would only scan them.
        """
        with open(path, "rb") as fh:
            raw = fh.read()
        paused = gc.isenabled()
        gc.disable()
        try:
            return cls.model_validate(pydantic_core.from_json(raw))
        finally:
            if paused:
                gc.enable()
