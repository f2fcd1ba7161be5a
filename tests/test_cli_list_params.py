"""``chaosrun list``: every parameter name it shows is one an experiment may write.

A sweep over the whole registry (like Cloud Custodian's schema tests): each listed name, and each
listed field of a nested parameter model, is accepted by the plugin's parameter model, and
nothing the model accepts is left out.
"""

from __future__ import annotations

import json
import typing
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ValidationError, model_validator

from chaosrun.cli import cmd_list
from chaosrun.cli.main import main
from chaosrun.faults.base import Params
from chaosrun.plugins import FAULTS, PROBES

REGISTRIES = {"faults": FAULTS, "probes": PROBES}


def _listed(kind: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    assert main(["list", kind, "--json"]) == 0
    items: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return items


def _refused(model: type[BaseModel], key: str) -> bool:
    """Whether ``model`` rejects ``key`` as an unknown argument (other errors do not matter)."""
    assert model.model_config.get("extra") == "forbid", f"{model.__name__} ignores unknown keys"
    try:
        model.model_validate({key: None})
    except ValidationError as exc:
        return any(e["type"] == "extra_forbidden" and e["loc"] == (key,) for e in exc.errors())
    return False


def _nested_model(model: type[BaseModel], key: str) -> type[BaseModel]:
    """The one model inside the annotation of the field written as ``key``."""
    field = next(f for n, f in model.model_fields.items() if key in (n, f.alias))
    found: list[type[BaseModel]] = []
    pending: list[Any] = [field.annotation]
    while pending:
        tp = pending.pop()
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            found.append(tp)
        else:
            pending.extend(typing.get_args(tp))
    assert len(found) == 1, f"{model.__name__}.{key}: expected one nested model, got {found}"
    return found[0]


def _check(model: type[BaseModel], params: list[dict[str, Any]], where: str) -> int:
    names = [p["name"] for p in params]
    refused = [n for n in names if _refused(model, n)]
    assert not refused, f"{where}: listed but refused by {model.__name__}: {refused}"
    assert len(names) == len(model.model_fields), f"{where}: not every parameter is listed"
    nested = 0
    for param in params:
        if param.get("fields"):
            nested += 1 + _check(
                _nested_model(model, param["name"]), param["fields"], f"{where}.{param['name']}"
            )
    return nested


@pytest.mark.parametrize("kind", sorted(REGISTRIES))
def test_every_listed_name_is_accepted(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    items = _listed(kind, capsys)
    registry = REGISTRIES[kind]
    assert {i["name"] for i in items} == set(registry.names())
    nested = sum(
        _check(registry.get(i["name"]).params_model, i["parameters"], i["name"]) for i in items
    )
    assert nested, "the sweep reached no nested parameter model"


def test_alias_is_listed_not_the_field_name(capsys: pytest.CaptureFixture[str]) -> None:
    items = {i["name"]: i for i in _listed("probes", capsys)}
    names = [p["name"] for p in items["chaosrun.probes.http.endpoint"]["parameters"]]
    assert "json" in names and "json_body" not in names
    assert main(["list", "probes"]) == 0
    assert "\n    json: dict[str, Any] | list[Any] | None (default None)" in capsys.readouterr().out


def test_nested_model_fields_are_expanded(capsys: pytest.CaptureFixture[str]) -> None:
    items = {i["name"]: i for i in _listed("faults", capsys)}
    params = {p["name"]: p for p in items["chaosrun.faults.iam.remove_permissions"]["parameters"]}
    assert params["deny"]["type"] == "DenySpec | None"
    fields = {f["name"]: f for f in params["deny"]["fields"]}
    assert set(fields) == {"actions", "resources"}
    assert fields["actions"]["required"] and fields["actions"]["type"] == "list[str]"
    assert fields["resources"]["default"] == ["*"]
    assert "IAM actions" in fields["actions"]["description"]

    assert main(["list", "faults"]) == 0
    out = capsys.readouterr().out
    assert "    deny: DenySpec | None (default None) - add an inline explicit Deny policy\n" in out
    assert "\n      actions: list[str] (required) - IAM actions" in out
    assert "\n      resources: list[str] (default ['*']) - resource ARNs" in out


def test_defaults_of_nested_models_are_plain_data(capsys: pytest.CaptureFixture[str]) -> None:
    items = {i["name"]: i for i in _listed("probes", capsys)}
    params = {p["name"]: p for p in items["chaosrun.probes.traffic.generate"]["parameters"]}
    assert params["requests"]["type"] == "list[RequestSpec]"
    assert params["requests"]["default"][0]["method"] == "GET"  # a mapping, not a repr string


class _Window(Params):
    rules: ClassVar[tuple[str, ...]] = ("give since or until, not both",)
    since: int | None = None
    until: int | None = None

    @model_validator(mode="after")
    def _one(self) -> _Window:
        if self.since is not None and self.until is not None:
            raise ValueError(self.rules[0])
        return self


class _Outer(Params):
    rules: ClassVar[tuple[str, ...]] = ("window is required with mode=timed",)
    window: _Window | None = None


def test_declared_rules_are_shown() -> None:
    described = cmd_list.describe_model(_Outer)
    assert described.rules == ["window is required with mode=timed"]
    assert described.parameters[0].rules == ["give since or until, not both"]
    lines = cmd_list.render_model(described, indent="  ")
    assert "  rules:" in lines and "    - window is required with mode=timed" in lines
    assert "        - give since or until, not both" in lines
