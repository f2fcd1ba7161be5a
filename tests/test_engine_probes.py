"""Registered probes are called directly: typed output for tolerances, series, measurements."""

from __future__ import annotations

from datetime import UTC, datetime

from chaosrun.engine import Runner, RunOptions
from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.faults.base import Params
from chaosrun.journal.model import Measurement, Series
from chaosrun.ledger import Ledger
from chaosrun.plugins import PROBES
from chaosrun.probes.base import Probe, ProbeOutput, probe_provider

NAME = f"{__name__}.level"


class LevelParams(Params):
    value: float


class LevelOutput(ProbeOutput):
    value: float
    stopped: bool

    def series(self) -> list[Series]:
        return [Series(name="level", points=[(datetime.now(UTC), self.value)])]

    def measurements(self) -> list[Measurement]:
        return [Measurement(name="level", value=self.value)]


@PROBES.register(NAME)
class Level(Probe[LevelParams, LevelOutput]):
    name = NAME
    summary = "returns its argument"
    params_model = LevelParams
    output_model = LevelOutput

    def run(self) -> LevelOutput:
        return LevelOutput(value=self.params.value, stopped=self.stop.is_set())


level = probe_provider(Level)


def test_probe_output_tolerance_series_measurements(tmp_path) -> None:
    provider = {"type": "python", "module": __name__, "func": "level"}
    experiment = {
        "title": "t",
        "description": "d",
        "steady-state-hypothesis": {
            "title": "h",
            "probes": [
                {
                    "type": "probe",
                    "name": "level",
                    "provider": {**provider, "arguments": {"value": 3}},
                    "tolerance": {"type": "range", "range": [0, 5], "target": "value"},
                }
            ],
        },
        "method": [],
    }
    journal = Runner(
        experiment,
        ChaosrunSettings.model_validate({}),
        ledger=Ledger(tmp_path),
        options=RunOptions(handle_signals=False),
    ).run()
    before = journal.steady_states.before
    assert before is not None and before.steady_state_met
    assert before.probes[0].output == {"value": 3.0, "stopped": False}
    [series] = journal.chaosrun.series
    assert series.name == "level" and len(series.points) == 2  # before + after, merged
    assert [m.value for m in journal.chaosrun.measurements] == [3.0, 3.0]
