"""The two plugin registries. Fault and probe modules register themselves here on import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaosrun.registry import Registry

if TYPE_CHECKING:
    from chaosrun.faults.base import Fault
    from chaosrun.probes.base import Probe

FAULTS: Registry[type[Fault[Any, Any]]] = Registry("fault")
PROBES: Registry[type[Probe[Any, Any]]] = Registry("probe")
