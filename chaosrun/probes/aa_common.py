"""Shared parameters of the active-active probes: which traffic session, which time window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import Field, model_validator

from chaosrun.faults.base import Params
from chaosrun.probes import traffic_store
from chaosrun.probes.traffic_store import SESSION_PATTERN, TrafficBucket, TrafficOutput

_ONE_START = "give since or start_offset_s, not both"
_ONE_END = "give until or end_offset_s, not both"


class SessionWindow(Params):
    """A traffic session and an optional window in it.

    The window is ``[since, until)`` in absolute time, or ``[start_offset_s, end_offset_s)``
    seconds after the session started; both default to the whole session.
    """

    rules: ClassVar[tuple[str, ...]] = (_ONE_START, _ONE_END)

    session: str = Field("default", pattern=SESSION_PATTERN, description="traffic session name")
    since: datetime | None = Field(None, description="window start (ISO 8601)")
    until: datetime | None = Field(None, description="window end (ISO 8601)")
    start_offset_s: float | None = Field(None, ge=0, description="window start after session start")
    end_offset_s: float | None = Field(None, ge=0, description="window end after session start")

    @model_validator(mode="after")
    def _one_way(self) -> SessionWindow:
        if self.since is not None and self.start_offset_s is not None:
            raise ValueError(_ONE_START)
        if self.until is not None and self.end_offset_s is not None:
            raise ValueError(_ONE_END)
        return self

    def load(self) -> TrafficOutput:
        return traffic_store.get(self.session)

    def bounds(self, out: TrafficOutput) -> tuple[datetime | None, datetime | None]:
        start = self.since
        if self.start_offset_s is not None:
            start = out.started + timedelta(seconds=self.start_offset_s)
        end = self.until
        if self.end_offset_s is not None:
            end = out.started + timedelta(seconds=self.end_offset_s)
        return start, end

    def buckets(self, out: TrafficOutput) -> list[TrafficBucket]:
        start, end = self.bounds(out)
        return out.buckets_between(start, end)
