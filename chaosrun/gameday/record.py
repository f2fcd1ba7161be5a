"""What a game day leaves behind: one record gathering every experiment, the notes, findings
and action items. The game-day report (HTML and Markdown) is built from it and the journals."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from chaosrun.journal.model import Verdict


class Note(BaseModel):
    at: datetime
    author: str
    text: str

    @property
    def is_action(self) -> bool:
        return self.text.lower().startswith(("action:", "todo:"))


class StepResult(BaseModel):
    index: int
    title: str
    experiment_file: str
    status: Literal["ran", "skipped", "not-approved", "halted", "invalid"]
    verdict: Verdict | None = None
    exit_code: int | None = None
    run_id: str | None = None
    journal: str | None = Field(None, description="journal path, relative to the day's folder")
    report: str | None = Field(None, description="HTML report path, relative to the day's folder")
    started: datetime | None = None
    ended: datetime | None = None
    reason: str = ""


class Finding(BaseModel):
    experiment: str
    verdict: Verdict
    summary: str


class GameDayRecord(BaseModel):
    title: str
    purpose: str
    owner: str
    coordinator: str | None = None
    observers: list[str] = Field(default_factory=list)
    plan_file: str
    sandbox: bool = False
    started: datetime
    ended: datetime | None = None
    status: Literal["completed", "halted", "interrupted"] = "completed"
    halt_reason: str = ""
    steps: list[StepResult] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [
            Finding(experiment=s.title, verdict=s.verdict, summary=s.reason)
            for s in self.steps
            if s.verdict is not None and s.verdict is not Verdict.HELD
        ]

    @property
    def action_items(self) -> list[str]:
        items = [n.text.split(":", 1)[1].strip() for n in self.notes if n.is_action]
        for s in self.steps:
            if s.verdict is Verdict.RESTORE_INCOMPLETE:
                items.append(f"Check and restore by hand what '{s.title}' left impaired")
        return items

    @property
    def exit_code(self) -> int:
        codes = [s.exit_code for s in self.steps if s.exit_code is not None]
        worst = max(codes, default=0)
        if self.status != "completed":
            worst = max(worst, 3)
        return worst
