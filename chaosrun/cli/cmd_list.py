"""``chaosrun list faults|probes``: every registered plugin, its parameters and IAM permissions.

Parameters are listed under the names an experiment must write (a field's alias, e.g. the HTTP
probe's ``json``, not its Python name), a parameter whose type is a nested parameter model has
that model's fields listed under it, and the cross-field rules a model declares in its ``rules``
class attribute (one sentence each, e.g. "give exactly one of names, arns or tags") are shown
with it. A union of several models is not expanded (its type names them).
"""

from __future__ import annotations

import argparse
import json
import types
import typing
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from chaosrun.plugins import FAULTS, PROBES


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("list", help="list faults or probes with parameters and permissions")
    p.add_argument("kind", choices=["faults", "probes"])
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=handle)


@dataclass
class ParamInfo:
    """One parameter as an experiment writes it; ``fields``/``rules`` of a nested model."""

    name: str
    type: str
    required: bool
    default: Any
    description: str
    fields: list[ParamInfo] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


@dataclass
class ModelInfo:
    parameters: list[ParamInfo]
    rules: list[str]


@dataclass
class PluginInfo:
    name: str
    summary: str
    parameters: list[ParamInfo]
    rules: list[str]
    permissions: list[str]


def type_name(tp: Any) -> str:
    """A readable annotation: class names without their modules (``DenySpec | None``)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is type(None):
        return "None"
    if tp is Any:
        return "Any"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin is not None:
        inner = f"[{', '.join(type_name(a) for a in args)}]" if args else ""
        return f"{getattr(origin, '__name__', str(origin))}{inner}"
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def nested_model(tp: Any) -> type[BaseModel] | None:
    """The parameter model inside an annotation (``X | None``, ``list[X]``...), if exactly one."""
    found: set[type[BaseModel]] = set()
    pending = [tp]
    while pending:
        current = pending.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            found.add(current)
        else:
            pending.extend(typing.get_args(current))
    return found.pop() if len(found) == 1 else None


def declared_rules(model: type[BaseModel]) -> list[str]:
    """The model's cross-field rules (its ``rules`` class attribute), as shown to users."""
    return [str(rule) for rule in getattr(model, "rules", ())]


def describe_param(name: str, info: FieldInfo, seen: tuple[type[BaseModel], ...]) -> ParamInfo:
    required = info.is_required()
    default = None if required else to_jsonable_python(info.get_default(call_default_factory=True))
    param = ParamInfo(
        name=info.alias or name,  # what the experiment writes; the field name may be refused
        type=type_name(info.annotation),
        required=required,
        default=default,
        description=info.description or "",
    )
    model = nested_model(info.annotation)
    if model is not None and model not in seen:
        nested = describe_model(model, seen)
        param.fields, param.rules = nested.parameters, nested.rules
    return param


def describe_model(model: type[BaseModel], seen: tuple[type[BaseModel], ...] = ()) -> ModelInfo:
    seen = (*seen, model)
    return ModelInfo(
        parameters=[describe_param(n, f, seen) for n, f in model.model_fields.items()],
        rules=declared_rules(model),
    )


def describe(kind: str) -> list[PluginInfo]:
    registry = FAULTS if kind == "faults" else PROBES
    items = []
    for name, cls in registry.items():
        model = describe_model(cls.params_model)
        items.append(
            PluginInfo(
                name=name,
                summary=getattr(cls, "summary", ""),
                parameters=model.parameters,
                rules=model.rules,
                permissions=list(getattr(cls, "permissions", ())),
            )
        )
    return items


def render_rules(rules: list[str], indent: str) -> list[str]:
    return [f"{indent}rules:", *(f"{indent}  - {rule}" for rule in rules)] if rules else []


def render_params(params: list[ParamInfo], indent: str) -> list[str]:
    lines = []
    for param in params:
        default = "required" if param.required else f"default {param.default!r}"
        description = f" - {param.description}" if param.description else ""
        lines.append(f"{indent}{param.name}: {param.type} ({default}){description}")
        lines += render_params(param.fields, indent + "  ")
        lines += render_rules(param.rules, indent + "  ")
    return lines


def render_model(model: ModelInfo, indent: str) -> list[str]:
    header = [f"{indent}parameters:"] if model.parameters else []
    return [
        *header,
        *render_params(model.parameters, indent + "  "),
        *render_rules(model.rules, indent),
    ]


def handle(args: argparse.Namespace) -> int:
    items = describe(args.kind)
    if args.json:
        print(json.dumps([asdict(i) for i in items], indent=2, default=str))
        return 0
    for item in items:
        print(item.name)
        if item.summary:
            print(f"  {item.summary}")
        for line in render_model(ModelInfo(item.parameters, item.rules), indent="  "):
            print(line)
        if item.permissions:
            print(f"  IAM permissions: {', '.join(item.permissions)}")
        print()
    return 0
