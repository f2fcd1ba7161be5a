"""A sweep over every registered fault (in the spirit of Cloud Custodian's policy-schema tests).

Each fault must be callable from a Chaos Toolkit experiment under its registry name, declare
what it needs, refuse misspelled arguments and describe its state in plain JSON.
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from chaosrun.faults.base import Fault, Params
from chaosrun.plugins import FAULTS

PERMISSION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")
KIND = re.compile(r"^[a-z0-9-]+:[a-z0-9-]+$")
FAULT_NAMES = FAULTS.names()


def _fault(name: str) -> Any:
    return FAULTS.get(name)


def test_the_registry_is_not_empty() -> None:
    assert len(FAULT_NAMES) >= 5
    for expected in (
        "chaosrun.faults.iam.remove_permissions",
        "chaosrun.faults.iam.remove_resource_permission",
        "chaosrun.faults.awslambda.inject_failure",
        "chaosrun.faults.awslambda.reduce_timeout",
        "chaosrun.faults.awslambda.disable_event_source",
    ):
        assert expected in FAULT_NAMES


@pytest.mark.parametrize("name", FAULT_NAMES)
def test_name_is_an_importable_provider_bound_to_the_class(name: str) -> None:
    cls = _fault(name)
    assert cls.name == name
    assert name.startswith("chaosrun.faults.")
    module_name, func_name = name.rsplit(".", 1)
    provider = getattr(importlib.import_module(module_name), func_name, None)
    assert callable(provider), f"{module_name} does not expose {func_name}"
    assert provider.fault_class is cls
    assert provider.__name__ == func_name


@pytest.mark.parametrize("name", FAULT_NAMES)
def test_summary_and_permissions(name: str) -> None:
    cls = _fault(name)
    assert isinstance(cls.summary, str) and cls.summary.strip()
    assert isinstance(cls.permissions, tuple) and cls.permissions
    bad = [p for p in cls.permissions if not PERMISSION.match(p)]
    assert not bad, f"permissions must look like service:Action, got {bad}"
    assert len(set(cls.permissions)) == len(cls.permissions), "duplicate permissions"
    assert KIND.match(cls.resource_kind) or cls.resource_kind == "composite"


@pytest.mark.parametrize("name", FAULT_NAMES)
def test_params_model_is_strict(name: str) -> None:
    model = _fault(name).params_model
    assert issubclass(model, Params)
    assert model.model_config.get("extra") == "forbid"
    with pytest.raises(ValidationError) as exc:
        model.model_validate({"names": ["x"], "no_such_argument_": 1})
    assert "extra_forbidden" in {e["type"] for e in exc.value.errors()}
    json.dumps(model.model_json_schema())  # documented by `chaosrun list faults`


@pytest.mark.parametrize("name", FAULT_NAMES)
def test_state_model_is_plain_json(name: str) -> None:
    cls = _fault(name)
    if getattr(cls, "composite", False):
        pytest.skip("composite faults keep no state of their own")
    assert issubclass(cls, Fault)
    state = cls.state_model
    assert issubclass(state, BaseModel) and state is not BaseModel
    schema = state.model_json_schema(mode="serialization")
    assert schema.get("properties"), "a state model names what the fault touches"
    json.dumps(schema)


def _walk(schema: Any) -> list[str]:
    """Every JSON schema ``type`` used (a state must not hide bytes or arbitrary objects)."""
    found: list[str] = []
    if isinstance(schema, dict):
        if isinstance(schema.get("type"), str):
            found.append(schema["type"])
        if schema.get("format") == "binary":
            found.append("binary")
        for value in schema.values():
            found.extend(_walk(value))
    elif isinstance(schema, list):
        for value in schema:
            found.extend(_walk(value))
    return found


@pytest.mark.parametrize("name", FAULT_NAMES)
def test_state_round_trips_through_json(name: str) -> None:
    cls = _fault(name)
    if getattr(cls, "composite", False):
        pytest.skip("composite faults keep no state of their own")
    schema = cls.state_model.model_json_schema(mode="serialization")
    assert "binary" not in _walk(schema)
    if not any(info.is_required() for info in cls.state_model.model_fields.values()):
        state = cls.state_model()
        assert cls.state_model.model_validate(json.loads(state.model_dump_json())) == state
