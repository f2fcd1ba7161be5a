"""Chaos Toolkit providers for API Gateway faults (``module: chaosrun.faults.apigateway``)."""

from chaosrun.faults.apigw_throttle_method import ThrottleMethod
from chaosrun.faults.apigw_throttle_stage import ThrottleStage
from chaosrun.faults.apigw_throttle_usage_plan import ThrottleUsagePlan
from chaosrun.faults.providers import fault_provider

throttle_stage = fault_provider(ThrottleStage)
throttle_method = fault_provider(ThrottleMethod)
throttle_usage_plan = fault_provider(ThrottleUsagePlan)

__all__ = ["throttle_method", "throttle_stage", "throttle_usage_plan"]
