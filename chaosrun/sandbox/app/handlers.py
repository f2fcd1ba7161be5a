"""The orders app's Lambda handlers (API Gateway Lambda proxy integration, and the SQS consumer
``audit_order``).

Plain Lambda code: boto3 clients from the function's environment, configuration from
environment variables, nothing sandbox-specific. Each function's zip holds this one file; the
handler setting picks the function (``handlers.create_order`` ...).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import boto3

TABLE = os.environ.get("TABLE_NAME", "orders")
BUS = os.environ.get("EVENT_BUS_NAME", "orders")
AUDIT_TABLE = os.environ.get("AUDIT_TABLE_NAME", "order-audit")
REGION = os.environ.get("AWS_REGION", "us-east-1")

_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    if service not in _clients:
        _clients[service] = boto3.client(service, region_name=REGION)
    return _clients[service]


def _response(status: int, body: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "X-Served-Region": REGION},
        "body": json.dumps(body),
    }


def create_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """POST /orders {"item": ..., "quantity": n} -> 201 with the stored order."""
    try:
        payload = json.loads(event.get("body") or "{}")
    except ValueError:
        return _response(400, {"message": "body must be JSON"})
    order = {
        "id": payload.get("id") or str(uuid.uuid4()),
        "item": str(payload.get("item", "unknown")),
        "quantity": int(payload.get("quantity", 1)),
        "region": REGION,
        "created_at": int(time.time() * 1000),
    }
    _client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "id": {"S": order["id"]},
            "item": {"S": order["item"]},
            "quantity": {"N": str(order["quantity"])},
            "region": {"S": order["region"]},
            "created_at": {"N": str(order["created_at"])},
        },
    )
    _client("events").put_events(
        Entries=[
            {
                "EventBusName": BUS,
                "Source": "orders",
                "DetailType": "OrderCreated",
                "Detail": json.dumps(order),
            }
        ]
    )
    return _response(201, order)


def get_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """GET /orders/{id} -> 200 with the order, 404 if this region has not seen it."""
    order_id = (event.get("pathParameters") or {}).get("id", "")
    item = _client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": order_id}}).get("Item")
    if not item:
        return _response(404, {"message": f"order {order_id} not found"})
    return _response(
        200,
        {
            "id": item["id"]["S"],
            "item": item["item"]["S"],
            "quantity": int(item["quantity"]["N"]),
            "region": item["region"]["S"],
            "created_at": int(item["created_at"]["N"]),
        },
    )


def health(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """GET /health -> 200 when this region can read its table (the Route 53 health check)."""
    _client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": "__health__"}})
    return _response(200, {"status": "ok", "region": REGION})


def audit_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS event (order-audit queue, fed by the order-created rule) -> one audit record per
    order in the region's audit table. Raising fails the batch: its messages are retried."""
    audited = 0
    for record in event.get("Records", []):
        order = json.loads(record["body"]).get("detail") or {}
        if not order.get("id"):
            continue  # not an OrderCreated event: nothing to audit
        _client("dynamodb").put_item(
            TableName=AUDIT_TABLE,
            Item={
                "order_id": {"S": str(order["id"])},
                "region": {"S": str(order.get("region", REGION))},
                "item": {"S": str(order.get("item", "unknown"))},
                "quantity": {"N": str(int(order.get("quantity", 1)))},
                "created_at": {"N": str(int(order.get("created_at", 0)))},
                "audited_at": {"N": str(int(time.time() * 1000))},
                "audited_in": {"S": REGION},
                "message_id": {"S": str(record.get("messageId", ""))},
            },
        )
        audited += 1
    return {"audited": audited}
