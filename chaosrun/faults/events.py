"""Chaos Toolkit providers for EventBridge faults (``module: chaosrun.faults.events``)."""

from chaosrun.faults.events_disable_rule import DisableRule
from chaosrun.faults.events_remove_target import RemoveTarget
from chaosrun.faults.providers import fault_provider

disable_rule = fault_provider(DisableRule)
remove_target = fault_provider(RemoveTarget)

__all__ = ["disable_rule", "remove_target"]
