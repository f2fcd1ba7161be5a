"""The experiment catalogue (experiments/): every file validates, documents its expected verdict,
the catalogue covers every registered fault, and - against a fresh sandbox with the orders app -
every experiment ends with its documented verdict and leaves nothing changed behind.

One sandbox per experiment (moto state is per process, and a fault left behind by one
experiment must not decide another's verdict). Runs go through the engine (``Runner``), with
the app's endpoints reaching the experiments' ``configuration`` through the ``CHAOSRUN_APP_*``
variables of ``Sandbox.env()``, as with ``chaosrun run --sandbox``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import chaosrun.faults  # noqa: F401  registers the faults
from chaosrun.experiment.loader import load_experiment
from chaosrun.plugins import FAULTS
from chaosrun.sandbox import Sandbox
from tests.catalogue_support import (
    app_sandbox,
    expected_verdict,
    experiment_files,
    faults_used,
    run_in_sandbox,
    summary,
)

FILES = experiment_files()
#: faults no experiment exercises yet, and why (docs/catalogue.md, "Not covered")
KNOWN_GAPS: set[str] = set()
IDS = [p.stem for p in FILES]


def test_catalogue_is_not_empty() -> None:
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_experiment_validates_and_documents_its_verdict(path: Path) -> None:
    loaded = load_experiment(path)
    assert loaded.settings.expect is not None, "set chaosrun.expect to the documented verdict"
    description = str(loaded.raw.get("description", ""))
    assert "Expected verdict:" in description, "state purpose and expected verdict"
    assert loaded.settings.expect.value in description.split("Expected verdict:", 1)[1][:40]
    assert loaded.raw.get("steady-state-hypothesis", {}).get("probes"), "needs a hypothesis"
    doc = (Path(__file__).resolve().parents[1] / "docs" / "catalogue.md").read_text()
    assert f"`{path.name}`" in doc, "list the experiment in docs/catalogue.md"


def test_every_registered_fault_is_exercised() -> None:
    used: set[str] = set()
    for path in FILES:
        used |= faults_used(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert set(FAULTS.names()) - used == KNOWN_GAPS, "update KNOWN_GAPS and docs/catalogue.md"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with app_sandbox() as sb:
        for key, value in sb.env().items():
            monkeypatch.setenv(key, value)
        yield sb


@pytest.mark.sandbox
@pytest.mark.timeout(180)
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_experiment_ends_with_its_documented_verdict_and_restores(
    path: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    outcome = run_in_sandbox(path, sandbox, tmp_path / "ledger")
    report = summary(outcome)
    journal = outcome.journal
    assert journal.verdict.value == expected_verdict(path), report
    assert journal.chaosrun.faults, "the method applied no fault\n" + report
    for fault, target in journal.restores():
        assert target.injected_at is not None, f"{fault.fault} on {target.target} not injected"
        assert target.restore is not None and target.restore.ok, f"{target.target}: {report}"
    assert outcome.pending == [], report
    assert outcome.changed == {}, report
