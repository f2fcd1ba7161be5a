"""Chaos Toolkit provider for regional impairment (``module: chaosrun.faults.region``)."""

from chaosrun.faults.providers import fault_provider
from chaosrun.faults.region_impair import Impair

# fault_provider only reads name/summary, which composites have too
impair = fault_provider(Impair)  # type: ignore[arg-type]

__all__ = ["impair"]
