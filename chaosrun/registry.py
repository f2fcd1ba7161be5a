"""Name -> plugin class registries for faults and probes.

Modelled on Cloud Custodian's registry: plugins register under a dotted name (the same
``module.func`` a Chaos Toolkit python provider uses), and tests sweep the whole registry to
check every plugin's contract. Third-party packages add plugins through the
``chaosrun.plugins`` entry-point group (each entry point is a module that registers on import).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
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
        found = self.find(name)
        if found is not None:
            return found
        load_plugins()  # every name, for the suggestion
        try:
            return self._items[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._items, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownPlugin(
                f"unknown {self.kind} {name!r}.{hint} Run `chaosrun list {self.kind}s` to see all."
            ) from None

    def find(self, name: str) -> T | None:
        """The plugin registered as ``name``, importing only the module that would define it
        (a run resolves its few providers without loading every plugin: start-up time)."""
        if name not in self._items:
            load_module_of(name)
        return self._items.get(name)

    def names(self) -> list[str]:
        load_plugins()
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        load_plugins()
        yield from sorted(self._items.items())


_loaded = False
_entry_modules: set[str] | None = None


def _plugin_entry_modules() -> set[str]:
    global _entry_modules
    if _entry_modules is None:
        _entry_modules = {ep.value for ep in entry_points(group="chaosrun.plugins")}
    return _entry_modules


def load_module_of(name: str) -> None:
    """Import the provider module of ``module.func`` if it is a plugin module (built-in, or a
    third-party package's entry point); leave any other module alone."""
    module = name.rpartition(".")[0]
    if not module:
        return
    builtin = any(module.startswith(f"{pkg}.") for pkg in BUILTIN_MODULES)
    if not builtin and not any(
        module == m or module.startswith(f"{m}.") for m in _plugin_entry_modules()
    ):
        return
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # the named module itself does not exist: the caller reports the unknown name; a
        # dependency missing *inside* a plugin is a real error and must surface
        if exc.name is None or not module.startswith(exc.name):
            raise


def load_plugins() -> None:
    """Import every built-in plugin module and third-party entry point, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for package in BUILTIN_MODULES:
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{package}.{info.name}")
    for module in sorted(_plugin_entry_modules()):
        importlib.import_module(module)
