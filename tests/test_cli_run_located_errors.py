"""Invalid input that only shows at run time (after ``${...}`` substitution, or what chaoslib
refuses while preparing) is reported like ``chaosrun validate`` reports: ``file:line: field:
message``, per activity, exit 2, and nothing changes (no lock, no ledger, no fault)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import boto3
import pytest
from engine_support import action, experiment, run
from lambda_fixtures import execution_role, make_function
from moto import mock_aws
from rich.console import Console

from chaosrun.aws.locks import LOCK_TAG
from chaosrun.cli.main import main
from chaosrun.errors import InvalidInput
from chaosrun.experiment.hypotheses import ENV_PATH
from chaosrun.gameday.plan import load_plan
from chaosrun.gameday.run import GameDay
from chaosrun.ledger import Ledger, default_ledger_dir

#: a fault that would change the function if the run got that far
THROTTLE_ACTION = """\
  - type: action
    name: throttle
    provider:
      type: python
      module: chaosrun.faults.awslambda
      func: throttle
      arguments:
        names: [orders]
        reserved_concurrency: %s
"""

THROTTLE = (
    "title: throttle with a templated value\ndescription: d\n"
    'configuration:\n  rc: "10"\nmethod:\n' + THROTTLE_ACTION % '"${rc}"' + "  - ref: throttle\n"
)

NAP = (
    "title: a builtin chaoslib cannot inspect\ndescription: d\nmethod:\n"
    + THROTTLE_ACTION % 0
    + """\
  - type: action
    name: nap
    provider:
      type: python
      module: time
      func: sleep
      arguments:
        secs: 0
"""
)


@pytest.fixture
def orders(tmp_path, monkeypatch):
    """A function with reserved concurrency 25; yields a check that nothing touched it."""
    monkeypatch.chdir(tmp_path)
    with mock_aws():
        arn = make_function("orders", execution_role())
        lam = boto3.client("lambda", region_name="us-east-1")
        lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=25)

        def untouched() -> bool:
            reserved = lam.get_function_concurrency(FunctionName="orders")
            tags = lam.list_tags(Resource=arn).get("Tags", {})
            return (
                reserved.get("ReservedConcurrentExecutions") == 25
                and LOCK_TAG not in tags
                and not default_ledger_dir().exists()
            )

        yield untouched


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_substituted_argument_is_reported_at_its_line(orders, tmp_path, capsys) -> None:
    exp = _write(tmp_path, "arg.yaml", THROTTLE)
    assert main(["run", str(exp), "--var", "rc=abc"]) == 2
    err = capsys.readouterr().err
    # reported at the argument's own line; the `ref:` entry fails alike and is not repeated
    line = _line(THROTTLE, "reserved_concurrency")
    located = f"{exp}:{line}: method[0].provider.arguments.reserved_concurrency: "
    assert err.count(located) == 1, err
    said = next(x for x in err.splitlines() if located in x)
    assert "valid integer" in said and "(chaosrun.faults.awslambda.throttle)" in said
    assert "method[1]" not in err and "nothing was changed" in err
    assert orders()


def test_an_activity_chaoslib_cannot_inspect_is_located(
    orders, tmp_path, capsys, caplog, monkeypatch
) -> None:
    # `chaosrun validate` may catch this case already; the engine's own check is under test
    monkeypatch.setattr(
        "chaosrun.experiment.loader.check_python_providers", lambda *_: [], raising=False
    )
    exp = _write(tmp_path, "nap.yaml", NAP)
    with caplog.at_level(logging.INFO):
        assert main(["run", str(exp)]) == 2
    err = capsys.readouterr().err
    assert f"{exp}:{_line(NAP, 'name: nap') - 1}: method[1] (nap): " in err, err
    assert "no signature found for builtin" in err
    assert "could not be prepared" not in err and "Traceback" not in err
    assert not any(r.exc_info for r in caplog.records)  # handled, not an unexpected error
    assert orders()


INVOKE = """\
title: orders answers
description: a reusable hypothesis
probes:
  - type: probe
    name: invoke-orders
    tolerance: true
    provider:
      type: python
      module: chaosrun.probes.awslambda
      func: invoke
      arguments:
        function_name: orders
        excerpt_bytes: "${size}"
"""

USES_INVOKE = """\
title: a hypothesis from another file
description: d
configuration:
  size: 64
steady-state-hypothesis:
  use: invoke
method:
  - ref: invoke-orders
"""


def test_a_reusable_hypothesis_probe_is_located_in_its_own_file(
    orders, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.delenv(ENV_PATH, raising=False)
    (tmp_path / "steady_state").mkdir()
    hypothesis = _write(tmp_path / "steady_state", "invoke.yaml", INVOKE)
    exp = _write(tmp_path, "uses.yaml", USES_INVOKE)
    assert main(["run", str(exp), "--var", "size=lots"]) == 2
    err = capsys.readouterr().err
    field = "steady-state-hypothesis.probes[0].provider.arguments.excerpt_bytes"
    located = f"{hypothesis}:{_line(INVOKE, 'excerpt_bytes')}: {field}: "
    assert err.count(located) == 1, err
    assert "method[0]" not in err
    assert orders()


def test_without_locate_the_python_api_keeps_its_wording(tmp_path) -> None:
    throttle = action(
        "throttle",
        {
            "type": "python",
            "module": "chaosrun.faults.awslambda",
            "func": "throttle",
            "arguments": {"names": ["orders"], "reserved_concurrency": "${rc}"},
        },
    )
    nap = action("nap", {"type": "python", "module": "time", "func": "sleep"})
    exp = experiment(configuration={"rc": "abc"}, method=[throttle, nap])
    with pytest.raises(InvalidInput) as refused:
        run(exp, Ledger(tmp_path / "ledger"))
    said = str(refused.value)
    assert (
        "method[0] (throttle): chaosrun.faults.awslambda.throttle: reserved_concurrency: Input "
        "should be a valid integer" in said
    )
    assert "method[1] (nap): chaoslib cannot check this provider (ValueError: no signature" in said
    assert not (tmp_path / "ledger").exists()


def test_a_game_day_step_names_the_line_too(orders, tmp_path) -> None:
    exp = _write(tmp_path, "arg.yaml", THROTTLE)
    plan = tmp_path / "gameday.yaml"
    plan.write_text(
        "title: t\npurpose: p\nowner: o\nexperiments:\n"
        f"  - experiment: {exp.name}\n    vars: {{rc: abc}}\n"
    )
    day = GameDay(
        load_plan(plan),
        tmp_path / "reports",
        console=Console(file=io.StringIO()),
        ledger=Ledger(tmp_path / "ledger"),
        handle_signals=False,
    )
    with pytest.raises(InvalidInput) as refused:
        day.run()
    line = _line(THROTTLE, "reserved_concurrency")
    assert f"{exp}:{line}: method[0].provider.arguments.reserved_concurrency: " in str(
        refused.value
    )
    assert orders() and not (tmp_path / "ledger").exists()
