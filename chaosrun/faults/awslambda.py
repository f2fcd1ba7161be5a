"""Chaos Toolkit provider namespace for Lambda faults (``module: chaosrun.faults.awslambda``)."""

from chaosrun.faults.lambda_disable_event_source import DisableEventSource
from chaosrun.faults.lambda_inject_failure import InjectFailure
from chaosrun.faults.lambda_reduce_timeout import ReduceTimeout
from chaosrun.faults.lambda_throttle import Throttle
from chaosrun.faults.providers import fault_provider

throttle = fault_provider(Throttle)
reduce_timeout = fault_provider(ReduceTimeout)
disable_event_source = fault_provider(DisableEventSource)
inject_failure = fault_provider(InjectFailure)

__all__ = ["disable_event_source", "inject_failure", "reduce_timeout", "throttle"]
