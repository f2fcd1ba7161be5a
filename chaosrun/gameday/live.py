"""The live terminal view of a game day: current experiment and phase, each probe's last value
against its tolerance, faults in place, elapsed time, progress of pauses, latest note."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text


@dataclass
class ProbeLine:
    name: str
    value: str
    tolerance: str
    ok: bool | None


@dataclass
class Snapshot:
    title: str
    step: int
    steps: int
    experiment: str
    phase: str
    started: datetime
    day_started: datetime
    probes: list[ProbeLine] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    pause: tuple[str, float, float] | None = None  # (label, done s, total s)
    last_note: str | None = None
    halted: str | None = None


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _elapsed(since: datetime, now: datetime) -> str:
    secs = int((now - since).total_seconds())
    return f"{secs // 3600:d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"


def snapshot_of_runner(runner: Any) -> tuple[str, list[ProbeLine], list[str], datetime]:
    """Phase, probe lines and faults in place, read from a running ``Runner``."""
    state = runner.state
    phase = "starting"
    for event in reversed(list(state.events)):
        if event.kind == "phase":
            phase = event.message
            break
    checks = [c for c in (state.before, *state.during, state.after) if c is not None]
    latest = max(checks, key=lambda c: c.at) if checks else None
    probes = []
    if latest is not None:
        for run in latest.probes:
            probes.append(
                ProbeLine(
                    name=str(run.activity.get("name", "probe")),
                    value=_short(run.output),
                    tolerance=_short(run.activity.get("tolerance"), 40),
                    ok=run.tolerance_met,
                )
            )
    faults = []
    for record in list(runner.ctx.records):
        for t in list(record.targets):
            if t.injected_at is not None and t.restore is None:
                faults.append(f"{record.fault.rsplit('.', 1)[-1]} on {t.target}")
    return phase, probes, faults, state.started


def render(snap: Snapshot, now: datetime | None = None) -> RenderableType:
    now = now or datetime.now(UTC)
    head = Text.assemble(
        (snap.title, "bold"),
        f"   experiment {snap.step}/{snap.steps}: ",
        (snap.experiment, "bold cyan"),
        f"   phase: {snap.phase}",
        f"   elapsed {_elapsed(snap.started, now)} (day {_elapsed(snap.day_started, now)})",
    )
    parts: list[RenderableType] = [head]
    if snap.halted:
        parts.append(Text(f"HALTED: {snap.halted}", style="bold red"))
    table = Table(title="Steady state (last check)", expand=True)
    table.add_column("probe")
    table.add_column("value")
    table.add_column("tolerance")
    table.add_column("status")
    for p in snap.probes:
        status = {True: ("OK", "green"), False: ("DEVIATED", "bold red"), None: ("-", "")}[p.ok]
        table.add_row(p.name, p.value, p.tolerance, Text(status[0], style=status[1]))
    if not snap.probes:
        table.add_row("(no check yet)", "", "", "")
    parts.append(table)
    faults = Table(title="Faults in place", expand=True, show_header=False)
    faults.add_column("fault")
    for f in snap.faults or ["none"]:
        faults.add_row(f)
    parts.append(faults)
    if snap.pause:
        label, done, total = snap.pause
        parts.append(Text(f"{label}: {done:.0f}/{total:.0f} s"))
        parts.append(ProgressBar(total=max(total, 0.001), completed=min(done, total)))
    if snap.last_note:
        parts.append(Text(f"last note: {snap.last_note}", style="italic"))
    parts.append(Text("Ctrl-C restores everything and ends the day.", style="dim"))
    return Panel(Group(*parts), title="chaosrun game day")
