"""Notes taken during a live game day (``chaosrun gameday note "..."`` from another terminal).

The running day registers its folder in ``$CHAOSRUN_HOME/gameday/active.json``; a note is one
JSON line appended to ``notes.jsonl`` in that folder, so any number of people can add notes
while the day runs and every note lands in the report with its time and author.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from chaosrun.errors import ChaosrunError
from chaosrun.gameday.record import Note


def _home() -> Path:
    return Path(os.environ.get("CHAOSRUN_HOME") or Path.home() / ".chaosrun") / "gameday"


def active_file() -> Path:
    return _home() / "active.json"


def register_active(day_dir: Path, title: str) -> None:
    _home().mkdir(parents=True, exist_ok=True)
    active_file().write_text(json.dumps({"dir": str(day_dir), "title": title, "pid": os.getpid()}))


def clear_active(day_dir: Path) -> None:
    path = active_file()
    try:
        if json.loads(path.read_text()).get("dir") == str(day_dir):
            path.unlink()
    except (OSError, ValueError):
        pass


def add_note(text: str, author: str | None = None, day_dir: Path | None = None) -> Note:
    if day_dir is None:
        try:
            day_dir = Path(json.loads(active_file().read_text())["dir"])
        except (OSError, ValueError, KeyError):
            raise ChaosrunError(
                "no game day is running on this machine; start one with "
                "`chaosrun gameday run PLAN`, or pass --day DIR to annotate a finished one"
            ) from None
    note = Note(at=datetime.now(UTC), author=author or _user(), text=text.strip())
    day_dir.mkdir(parents=True, exist_ok=True)
    with open(day_dir / "notes.jsonl", "a", encoding="utf-8") as fh:
        fh.write(note.model_dump_json() + "\n")
    return note


def read_notes(day_dir: Path) -> list[Note]:
    path = day_dir / "notes.jsonl"
    if not path.exists():
        return []
    notes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            notes.append(Note.model_validate_json(line))
    return sorted(notes, key=lambda n: n.at)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
