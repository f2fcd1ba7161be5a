"""Chaos Toolkit provider namespace for Lambda faults (``module: chaosrun.faults.awslambda``)."""

from chaosrun.faults.lambda_reduce_timeout import ReduceTimeout
from chaosrun.faults.lambda_throttle import Throttle
from chaosrun.faults.providers import fault_provider

throttle = fault_provider(Throttle)
reduce_timeout = fault_provider(ReduceTimeout)

__all__ = ["reduce_timeout", "throttle"]
