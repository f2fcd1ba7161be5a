"""``chaosrun list faults|probes``: every registered plugin, its parameters and IAM permissions."""

from __future__ import annotations

import argparse
import json
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from chaosrun.plugins import FAULTS, PROBES


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("list", help="list faults or probes with parameters and permissions")
    p.add_argument("kind", choices=["faults", "probes"])
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=handle)


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    return text or str(annotation).replace("typing.", "")


def parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    out = []
    for name, field in model.model_fields.items():
        required = field.is_required()
        default = None if required or field.default is PydanticUndefined else field.default
        if field.default_factory is not None:
            default = field.default_factory()  # type: ignore[call-arg]
        out.append(
            {
                "name": name,
                "type": _type_name(field.annotation),
                "required": required,
                "default": default,
                "description": field.description or "",
            }
        )
    return out


def describe(kind: str) -> list[dict[str, Any]]:
    registry = FAULTS if kind == "faults" else PROBES
    items: list[dict[str, Any]] = []
    for name, cls in registry.items():
        items.append(
            {
                "name": name,
                "summary": getattr(cls, "summary", ""),
                "parameters": parameters(cls.params_model),
                "permissions": list(getattr(cls, "permissions", ())),
            }
        )
    return items


def handle(args: argparse.Namespace) -> int:
    items = describe(args.kind)
    if args.json:
        print(json.dumps(items, indent=2, default=str))
        return 0
    for item in items:
        print(item["name"])
        if item["summary"]:
            print(f"  {item['summary']}")
        if item["parameters"]:
            print("  parameters:")
        for param in item["parameters"]:
            default = "required" if param["required"] else f"default {param['default']!r}"
            description = f" - {param['description']}" if param["description"] else ""
            print(f"    {param['name']}: {param['type']} ({default}){description}")
        if item["permissions"]:
            print(f"  IAM permissions: {', '.join(item['permissions'])}")
        print()
    return 0
