"""Name -> plugin class registries for faults and probes.

Modelled on Cloud Custodian's registry: plugins register under a dotted name (the same
``module.func`` a Chaos Toolkit python provider uses), and tests sweep the whole registry to
check every plugin's contract. Third-party packages add plugins through the
``chaosrun.plugins`` entry-point group (each entry point is a module that registers on import).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from chaosrun.errors import UnknownPlugin

T = TypeVar("T")

BUILTIN_MODULES = ("chaosrun.faults", "chaosrun.probes")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(plugin: T) -> T:
            if name in self._items and self._items[name] is not plugin:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = plugin
            return plugin

        return decorate

    def get(self, name: str) -> T:
        load_plugins()
        try:
            return self._items[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._items, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownPlugin(
                f"unknown {self.kind} {name!r}.{hint} Run `chaosrun list {self.kind}s` to see all."
            ) from None

    def find(self, name: str) -> T | None:
        load_plugins()
        return self._items.get(name)

    def names(self) -> list[str]:
        load_plugins()
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        load_plugins()
        yield from sorted(self._items.items())


_loaded = False


def load_plugins() -> None:
    """Import built-in plugin packages and third-party entry points once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    for ep in entry_points(group="chaosrun.plugins"):
        importlib.import_module(ep.value)
