"""The components a sandbox runs by default, as ``"module:Class"`` import paths.

Append yours (``Sandbox(components=...)`` replaces the list).
"""

from __future__ import annotations

DEFAULT_COMPONENTS: list[str] = [
    "chaosrun.sandbox.lambda_credentials:Credentials",
    "chaosrun.sandbox.iam_enforcer:IamEnforcer",
    "chaosrun.sandbox.metrics:Metrics",
    "chaosrun.sandbox.lambda_runtime:LambdaRuntime",
    "chaosrun.sandbox.api_endpoints:ApiEndpoints",
    # data plane for Route 53, DynamoDB global tables, CloudWatch alarms, EventBridge
    "chaosrun.sandbox.route53_health:Route53Health",
    "chaosrun.sandbox.dns:Dns",
    "chaosrun.sandbox.global_tables:GlobalTables",
    "chaosrun.sandbox.alarms:Alarms",
    "chaosrun.sandbox.eventbridge:EventBridge",
    # SQS -> Lambda event source mappings (replaces moto's Docker delivery)
    "chaosrun.sandbox.event_sources:EventSources",
]
