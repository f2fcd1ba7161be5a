"""Chaos Toolkit providers for Route 53 faults (``module: chaosrun.faults.route53``)."""

from chaosrun.faults.providers import fault_provider
from chaosrun.faults.route53_force_failover import ForceFailover
from chaosrun.faults.route53_shift_weight import ShiftWeight

force_failover = fault_provider(ForceFailover)
shift_weight = fault_provider(ShiftWeight)

__all__ = ["force_failover", "shift_weight"]
