"""Activity runs and steady-state checks are slotted pydantic dataclasses (a one-hour journal
holds ~18,000 runs): they must validate like the models they replaced and keep Chaos Toolkit's
``run`` item shape on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from journal_factory import deviated_journal
from pydantic import ValidationError

from chaosrun.journal.model import ActivityRun, Journal


def _journal_dict() -> dict:  # type: ignore[type-arg]
    return json.loads(deviated_journal().to_json())


def test_runs_keep_chaos_toolkits_item_shape(tmp_path: Path) -> None:
    raw = _journal_dict()
    run = raw["steady_states"]["before"]["probes"][0]
    assert {"activity", "status", "output", "start", "end", "duration", "tolerance_met"} <= set(run)
    path = tmp_path / "j.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    again = Journal.from_file(str(path))
    assert json.loads(again.to_json()) == raw


def test_misspelled_run_key_is_rejected_with_its_path(tmp_path: Path) -> None:
    raw = _journal_dict()
    raw["steady_states"]["during"][0]["probes"][0]["stauts"] = "succeeded"
    with pytest.raises(ValidationError) as err:
        Journal.model_validate(raw)
    (e,) = err.value.errors()
    assert e["loc"][:5] == ("steady_states", "during", 0, "probes", 0)
    assert e["loc"][-1] == "stauts"


@pytest.mark.parametrize(
    ("field", "value"),
    [("activity", ["not", "a", "mapping"]), ("status", "fine"), ("start", "yesterday")],
)
def test_bad_run_values_are_rejected(field: str, value: object) -> None:
    raw = _journal_dict()
    raw["run"][0][field] = value
    with pytest.raises(ValidationError) as err:
        Journal.model_validate(raw)
    assert err.value.errors()[0]["loc"] == ("run", 0, field)


def test_runs_are_mutable_records() -> None:
    run = ActivityRun(activity={"name": "p"}, status="succeeded", start="2026-01-01T00:00:00Z")  # type: ignore[arg-type]
    run.status = "failed"
    run.exception = ["boom"]
    assert run.status == "failed" and run.exception == ["boom"]
    assert not hasattr(run, "__dict__")  # slotted: nothing per instance but its fields
