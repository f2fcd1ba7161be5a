"""The orders app, declared: what ``deploy`` creates in every region.

Active-active in two regions: a REST API (stage ``prod``, custom domain ``api.orders.sandbox``)
with Lambda proxy integrations, a DynamoDB global table, an EventBridge bus with a rule to an SQS
queue, Route 53 failover between the regions by health check, and CloudWatch alarms. The same rule
also feeds an ``order-audit`` queue, consumed through a Lambda event source mapping by a function
that writes one audit record per order into the region's ``order-audit`` table. Edit this file to
change the app; ``deploy.py`` only interprets it.
"""

from __future__ import annotations

from typing import Any

APP = "orders"
REGIONS = ["us-east-1", "eu-west-1"]  # the first is the PRIMARY for failover
TABLE = "orders"
BUS = "orders"
QUEUE = "order-events"
RULE = "order-created"
API_NAME = "orders-api"
STAGE = "prod"
DOMAIN = "api.orders.sandbox"
ZONE = "orders.sandbox"
HEALTH_PATH = "/health"
AUDIT_TABLE = "order-audit"  # per region (not a global table): each region audits its orders
AUDIT_QUEUE = "order-audit"  # a second target of the order-created rule
AUDIT_TARGET_ID = "order-audit"

#: one entry per function: route, handler, and the least privilege it needs
FUNCTIONS: list[dict[str, Any]] = [
    {
        "component": "create-order",
        "name": "orders-create-order",
        "handler": "handlers.create_order",
        "method": "POST",
        "path": "/orders",
        "actions": {"dynamodb": ["dynamodb:PutItem"], "events": ["events:PutEvents"]},
    },
    {
        "component": "get-order",
        "name": "orders-get-order",
        "handler": "handlers.get_order",
        "method": "GET",
        "path": "/orders/{id}",
        "actions": {"dynamodb": ["dynamodb:GetItem"]},
    },
    {
        "component": "health",
        "name": "orders-health",
        "handler": "handlers.health",
        "method": "GET",
        "path": "/health",
        "actions": {"dynamodb": ["dynamodb:GetItem"]},
    },
]

#: functions fed by an SQS queue through an event source mapping (no API route)
CONSUMERS: list[dict[str, Any]] = [
    {
        "component": "order-audit",
        "name": "orders-order-audit",
        "handler": "handlers.audit_order",
        "queue": AUDIT_QUEUE,
        "batch_size": 10,
        "table": AUDIT_TABLE,
        "environment": {"AUDIT_TABLE_NAME": AUDIT_TABLE},
        "actions": {
            "sqs": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "dynamodb": ["dynamodb:PutItem"],
        },
    },
]

#: the audit queue's visibility timeout: six times the function timeout, as AWS recommends
AUDIT_QUEUE_VISIBILITY_TIMEOUT = 60

#: API key throttling for partner integrations (the app's own methods need no key)
USAGE_PLAN = {"name": "orders-partners", "throttle": {"rateLimit": 50.0, "burstLimit": 100}}

#: partners read orders on routes of their own that require an API key of the usage plan; the
#: customer routes above require none, so throttling the plan cannot reach customers
PARTNER_ROUTES: list[dict[str, str]] = [
    {"path": "/partner/orders/{id}", "method": "GET", "function": "orders-get-order"},
]
#: the plan's API key; its value is random per deployment, the same in every region
PARTNER_API_KEY_NAME = "orders-partner-demo"

#: a second, weighted routing record over the same regional endpoints (set id = region)
WEIGHTED_DOMAIN = "api-weighted.orders.sandbox"
WEIGHT = 100

HEALTH_CHECK = {"Type": "HTTP", "RequestInterval": 10, "FailureThreshold": 3}

#: per region; ``{function}``/``{api}`` are filled in by deploy
ALARMS: list[dict[str, Any]] = [
    {
        "name": "orders-api-5xx-rate",
        "Namespace": "AWS/ApiGateway",
        "MetricName": "5XXError",
        "Dimensions": {"ApiName": "{api}", "Stage": STAGE},
        "Statistic": "Average",  # 5XXError is 0/1 per request: its average is the error rate
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0.05,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    },
    {
        "name": "orders-api-latency-p99",
        "Namespace": "AWS/ApiGateway",
        "MetricName": "Latency",
        "Dimensions": {"ApiName": "{api}", "Stage": STAGE},
        "ExtendedStatistic": "p99",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 1000.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    },
    {
        "name": "orders-create-order-errors",
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": {"FunctionName": "orders-create-order"},
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    },
]
