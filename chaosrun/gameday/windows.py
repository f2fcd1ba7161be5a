"""When things may run: cron/one-off triggers and blackout windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_cron(value: str | None) -> str | None:
    if value is not None and not croniter.is_valid(value):
        raise ValueError(f"not a valid cron expression: {value!r} (five fields: m h dom mon dow)")
    return value


def _check_tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except Exception:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Europe/London)"
        ) from None
    return value


class Trigger(_Strict):
    """A cron expression (in ``timezone``) or a one-off instant."""

    cron: str | None = Field(None, description="five-field cron expression")
    at: datetime | None = Field(None, description="one-off start (ISO 8601 with offset)")
    timezone: str = Field("UTC", description="IANA time zone for the cron expression")

    _cron = field_validator("cron")(_check_cron)
    _tz = field_validator("timezone")(_check_tz)

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        if (self.cron is None) == (self.at is None):
            raise ValueError("give exactly one of cron or at")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("'at' needs a UTC offset, e.g. 2026-12-01T10:00:00+00:00")
        return self

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after ``moment`` (UTC), or None when none is left."""
        if self.at is not None:
            return self.at.astimezone(UTC) if self.at > moment else None
        local = moment.astimezone(ZoneInfo(self.timezone))
        nxt = croniter(self.cron, local).get_next(datetime)
        return nxt.astimezone(UTC)

    def occurrences(self, start: datetime, end: datetime, limit: int = 1000) -> list[datetime]:
        """Occurrences in (start, end]."""
        found: list[datetime] = []
        cursor = start
        while len(found) < limit:
            nxt = self.next_after(cursor)
            if nxt is None or nxt > end:
                break
            found.append(nxt)
            cursor = nxt
        return found


class Blackout(_Strict):
    """A period when nothing may run: a fixed span, or a cron start plus a duration."""

    start: datetime | None = None
    end: datetime | None = None
    cron: str | None = Field(None, description="recurring blackout start")
    duration_minutes: int | None = Field(None, ge=1, description="length of a recurring blackout")
    timezone: str = "UTC"
    reason: str = ""

    _cron = field_validator("cron")(_check_cron)
    _tz = field_validator("timezone")(_check_tz)

    @model_validator(mode="after")
    def _shape(self) -> Blackout:
        fixed = self.start is not None and self.end is not None
        recurring = self.cron is not None and self.duration_minutes is not None
        if fixed == recurring:
            raise ValueError("give start and end, or cron and duration_minutes")
        if fixed and self.end <= self.start:  # type: ignore[operator]
            raise ValueError("end must be after start")
        return self

    def covers(self, moment: datetime) -> bool:
        if self.start is not None and self.end is not None:
            return self.start <= moment < self.end
        assert self.cron is not None and self.duration_minutes is not None
        span = timedelta(minutes=self.duration_minutes)
        local = (moment - span).astimezone(ZoneInfo(self.timezone))
        began = croniter(self.cron, local).get_next(datetime)
        return began.astimezone(UTC) <= moment


def in_blackout(blackouts: list[Blackout], moment: datetime) -> Blackout | None:
    return next((b for b in blackouts if b.covers(moment)), None)
