"""EventBridge delivery: enabled rules only, matching patterns, current targets, permissions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.eventbridge import EventBridge, lambda_policy_allows_events

pytestmark = pytest.mark.sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(deploy_app=False, components=[EventBridge]) as sandbox:
        yield sandbox


def setup_bus(sb: Sandbox) -> tuple[Any, Any, str]:
    events = sb.context.clients.client("events")
    sqs = sb.context.clients.client("sqs")
    events.create_event_bus(Name="orders")
    url = sqs.create_queue(QueueName="order-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="order-created",
        EventBusName="orders",
        EventPattern=json.dumps({"source": ["orders"], "detail-type": ["OrderCreated"]}),
    )
    events.put_targets(
        Rule="order-created", EventBusName="orders", Targets=[{"Id": "queue", "Arn": arn}]
    )
    return events, sqs, url


def publish(events: Any, detail_type: str = "OrderCreated") -> dict[str, Any]:
    return dict(
        events.put_events(
            Entries=[
                {
                    "Source": "orders",
                    "DetailType": detail_type,
                    "Detail": json.dumps({"id": "o-1"}),
                    "EventBusName": "orders",
                }
            ]
        )
    )


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_delivers_matching_events_to_sqs_once(sb: Sandbox) -> None:
    events, sqs, url = setup_bus(sb)
    out = publish(events)
    assert out["FailedEntryCount"] == 0 and "EventId" in out["Entries"][0]
    bodies = received(sqs, url)
    assert len(bodies) == 1  # moto's own delivery did not add a second copy
    assert bodies[0]["detail"] == {"id": "o-1"} and bodies[0]["detail-type"] == "OrderCreated"
    assert bodies[0]["id"] == out["Entries"][0]["EventId"]
    publish(events, detail_type="OrderShipped")  # does not match the pattern
    assert received(sqs, url) == []


def test_disabled_rule_stops_delivery_and_enable_resumes(sb: Sandbox) -> None:
    events, sqs, url = setup_bus(sb)
    events.disable_rule(Name="order-created", EventBusName="orders")
    publish(events)
    assert received(sqs, url) == []
    events.enable_rule(Name="order-created", EventBusName="orders")
    publish(events)
    assert len(received(sqs, url)) == 1


def test_removed_target_gets_nothing(sb: Sandbox) -> None:
    events, sqs, url = setup_bus(sb)
    events.remove_targets(Rule="order-created", EventBusName="orders", Ids=["queue"])
    publish(events)
    assert received(sqs, url) == []


def test_invalid_entries_are_reported_like_aws(sb: Sandbox) -> None:
    events, _, _ = setup_bus(sb)
    out = events.put_events(Entries=[{"Source": "orders", "DetailType": "X", "Detail": "{nope"}])
    assert out["FailedEntryCount"] == 1 and out["Entries"][0]["ErrorCode"] == "MalformedDetail"


def test_lambda_policy_must_allow_events() -> None:
    rule = "arn:aws:events:us-east-1:123456789012:rule/orders/order-created"
    allow = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Condition": {"ArnLike": {"AWS:SourceArn": rule}},
            }
        ]
    }
    assert lambda_policy_allows_events(json.dumps(allow), rule)
    assert not lambda_policy_allows_events(json.dumps(allow), rule.replace("order-created", "x"))
    allow["Statement"][0]["Principal"] = {"Service": "apigateway.amazonaws.com"}
    assert not lambda_policy_allows_events(json.dumps(allow), rule)
    assert not lambda_policy_allows_events(None, rule)
