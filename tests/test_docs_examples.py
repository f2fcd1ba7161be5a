"""The examples the docs point at stay valid."""

from __future__ import annotations

from pathlib import Path

from chaosrun.gameday.plan import load_plan
from chaosrun.gameday.scheduler import load_schedule_file

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def test_gameday_example_plan_and_its_experiments_validate() -> None:
    loaded = load_plan(EXAMPLES / "gameday-orders.yaml")
    assert len(loaded.plan.experiments) == 3
    for step in loaded.plan.experiments:
        assert loaded.experiment_path(step).is_file()


def test_schedules_example_validates_and_names_existing_plans() -> None:
    schedule = load_schedule_file(EXAMPLES / "schedules.yaml")
    assert {e.name for e in schedule.schedules} == {
        "weekly-orders-gameday",
        "nightly-throttle-check",
    }
    for entry in schedule.schedules:
        assert (EXAMPLES / entry.plan).is_file()
