"""Chaos Toolkit provider namespace for Lambda faults (``module: chaosrun.faults.awslambda``)."""

from chaosrun.faults.lambda_throttle import Throttle
from chaosrun.faults.providers import fault_provider

throttle = fault_provider(Throttle)

__all__ = ["throttle"]
