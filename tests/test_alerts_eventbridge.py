"""EventBridge sink: PutEvents through moto, routed by a rule into an SQS queue."""

from __future__ import annotations

import json

import boto3
from journal_factory import deviated_journal
from moto import mock_aws

from chaosrun.alerts.config import Condition
from chaosrun.alerts.dispatch import AlertDispatcher
from chaosrun.alerts.events import AlertEvent
from chaosrun.aws.clients import AwsClients, AwsSettings


@mock_aws
def test_eventbridge_event_reaches_a_queue_through_a_rule():
    region = "us-east-1"
    sqs = boto3.client("sqs", region_name=region)
    events = boto3.client("events", region_name=region)
    url = sqs.create_queue(QueueName="chaos-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.create_event_bus(Name="chaos")
    events.put_rule(
        Name="chaosrun-alerts",
        EventBusName="chaos",
        EventPattern=json.dumps({"source": ["chaosrun"], "detail-type": ["Chaosrun Run Event"]}),
    )
    events.put_targets(
        Rule="chaosrun-alerts", EventBusName="chaos", Targets=[{"Id": "q", "Arn": arn}]
    )

    clients = AwsClients(AwsSettings(region=region))
    d = AlertDispatcher([{"type": "eventbridge", "event_bus_name": "chaos"}], clients)
    d.notify(AlertEvent(condition=Condition.RESTORE_FAILED), deviated_journal())
    (delivery,) = d.close(timeout=30)
    assert delivery.status == "delivered", delivery.detail
    assert delivery.sink == "eventbridge"

    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    event = json.loads(messages[0]["Body"])
    assert event["source"] == "chaosrun" and event["detail-type"] == "Chaosrun Run Event"
    assert event["detail"]["dedup_key"] == "chaosrun-20261128T100000Z-dev042-restore_failed"
    assert event["detail"]["severity"] == "critical"


@mock_aws
def test_eventbridge_failure_is_recorded():
    clients = AwsClients(AwsSettings(region="us-east-1"))
    d = AlertDispatcher([{"type": "eventbridge", "event_bus_name": "no-such-bus"}], clients)
    d.notify(AlertEvent(condition=Condition.DEVIATION), deviated_journal())
    (delivery,) = d.close(timeout=30)
    assert delivery.status == "failed"
