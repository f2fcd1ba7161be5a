"""SQS event source mappings, observed from outside (boto3 against the sandbox): a real handler
consumes the queue; disabled mappings leave messages queued until re-enabled; throttled or
failing functions leave them in the queue.

No timed assertions: "nothing was processed" is shown with a *witness* mapping (an enabled
mapping on another queue): once a message sent to the witness queue *after* the messages under
test has been processed, the poller has passed the mapping under test with those messages
visible.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.event_sources import EventSources
from tests.sandbox_helpers import client, eventually, make_function, make_role, make_table

pytestmark = pytest.mark.sandbox

TABLE = "consumed"

CONSUMER = """
import json
import os

import boto3

ddb = boto3.client("dynamodb")


def handler(event, context):
    for record in event["Records"]:
        if "fail" in record["body"]:
            raise ValueError("cannot process " + record["body"])
        ddb.update_item(
            TableName=os.environ["TABLE"],
            Key={"pk": {"S": record["body"]}},
            UpdateExpression="ADD deliveries :one SET #r = :r",
            ExpressionAttributeNames={"#r": "record"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":r": {"S": json.dumps(record)}},
        )
    return {"processed": len(event["Records"])}


def partial(event, context):
    failures = []
    for record in event["Records"]:
        if "fail" in record["body"]:
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            handler({"Records": [record]}, context)
    return {"batchItemFailures": failures}
"""


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(regions=["us-east-1"], deploy_app=False, time_scale=0.05) as sandbox:
        make_table(sandbox, TABLE)
        yield sandbox


def consumer(
    sb: Sandbox,
    visibility_timeout: int = 30,
    handler: str = "app.handler",
    role_arn: str | None = None,
    **mapping: Any,
) -> tuple[str, str, str]:
    """A queue, a consumer function and an enabled mapping; returns (queue url, function, uuid)."""
    suffix = uuid.uuid4().hex[:8]
    sqs = client(sb, "sqs")
    url = sqs.create_queue(
        QueueName=f"q-{suffix}", Attributes={"VisibilityTimeout": str(visibility_timeout)}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = f"consumer-{suffix}"
    make_function(sb, name, CONSUMER, role_arn=role_arn, handler=handler, env={"TABLE": TABLE})
    esm = client(sb, "lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=10, **mapping
    )
    return url, name, esm["UUID"]


def send(sb: Sandbox, url: str, *bodies: str) -> None:
    sqs = client(sb, "sqs")
    for body in bodies:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"origin": {"DataType": "String", "StringValue": "test"}},
        )


def deliveries(sb: Sandbox, body: str) -> int:
    item = client(sb, "dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": body}}).get("Item")
    return int(item["deliveries"]["N"]) if item else 0


def queued(sb: Sandbox, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue."""
    attrs = client(sb, "sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
    )


def bodies(n: int) -> list[str]:
    prefix = uuid.uuid4().hex[:8]
    return [f"{prefix}-{i}" for i in range(n)]


@pytest.fixture(scope="module")
def witness(sb: Sandbox) -> Any:
    """``sync()``: returns once the poller has run a full cycle after the call began."""
    url, _, _ = consumer(sb)

    def sync() -> None:
        [body] = bodies(1)
        send(sb, url, body)
        eventually(lambda: deliveries(sb, body) == 1, "the witness mapping processed its message")

    return sync


def test_messages_are_processed_by_the_real_handler_and_deleted(sb: Sandbox) -> None:
    url, _, esm_uuid = consumer(sb)
    sent = bodies(3)
    send(sb, url, *sent)
    eventually(lambda: all(deliveries(sb, b) == 1 for b in sent), "all messages processed")
    eventually(lambda: queued(sb, url) == (0, 0), "processed messages deleted")
    item = client(sb, "dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": sent[0]}})["Item"]
    record = json.loads(item["record"]["S"])
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"].endswith(":" + url.rsplit("/", 1)[1])
    assert record["body"] == sent[0] and record["md5OfBody"] and record["receiptHandle"]
    assert record["messageAttributes"]["origin"]["stringValue"] == "test"
    # received once, by the poller: moto's own (Docker) delivery did not receive it first
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    component = sb.context.component("event_sources")
    assert isinstance(component, EventSources) and component.processed[esm_uuid] == 3


def test_a_backlog_larger_than_a_batch_is_processed_exactly_once(sb: Sandbox) -> None:
    url, _, esm_uuid = consumer(sb)
    client(sb, "lambda").update_event_source_mapping(UUID=esm_uuid, Enabled=False)
    sent = bodies(35)  # four batches of at most 10, run concurrently
    send(sb, url, *sent)
    client(sb, "lambda").update_event_source_mapping(UUID=esm_uuid, Enabled=True)
    eventually(lambda: queued(sb, url) == (0, 0), "backlog drained")
    assert [deliveries(sb, b) for b in sent] == [1] * len(sent)


def test_disabled_mapping_leaves_messages_queued_and_reenabling_drains_them(
    sb: Sandbox, witness: Any
) -> None:
    url, _, esm_uuid = consumer(sb)
    lam = client(sb, "lambda")
    lam.update_event_source_mapping(UUID=esm_uuid, Enabled=False)
    assert lam.get_event_source_mapping(UUID=esm_uuid)["State"] == "Disabled"
    sent = bodies(4)
    send(sb, url, *sent)
    witness()  # the poller has passed the disabled mapping with the messages visible
    assert queued(sb, url) == (4, 0)
    assert [deliveries(sb, b) for b in sent] == [0, 0, 0, 0]
    more = bodies(2)
    send(sb, url, *more)  # the backlog grows
    witness()
    assert queued(sb, url) == (6, 0)

    lam.update_event_source_mapping(UUID=esm_uuid, Enabled=True)
    eventually(lambda: all(deliveries(sb, b) == 1 for b in sent + more), "backlog drained")
    eventually(lambda: queued(sb, url) == (0, 0), "queue empty after the drain")


def test_throttled_function_leaves_messages_in_the_queue(sb: Sandbox, witness: Any) -> None:
    url, name, _ = consumer(sb, visibility_timeout=1)
    lam = client(sb, "lambda")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    sent = bodies(3)
    send(sb, url, *sent)
    cw = client(sb, "cloudwatch")

    def throttles() -> float:
        import datetime as dt

        now = dt.datetime.now(dt.UTC)
        points = cw.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="Throttles",
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=now - dt.timedelta(minutes=5),
            EndTime=now + dt.timedelta(minutes=1),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        return sum(p["Sum"] for p in points)

    eventually(lambda: throttles() >= 1, "the mapping invoked the throttled function")
    assert sum(queued(sb, url)) == 3  # received, throttled, left for the visibility timeout
    assert [deliveries(sb, b) for b in sent] == [0, 0, 0]

    lam.delete_function_concurrency(FunctionName=name)
    # messages come back after the visibility timeout and the mapping's back-off; on a loaded
    # 2-core machine a cold handler can take seconds more (the bound only guards against hangs)
    done = lambda: all(deliveries(sb, b) == 1 for b in sent)  # noqa: E731
    eventually(done, "processed after the throttle", attempts=2400)
    eventually(lambda: queued(sb, url) == (0, 0), "queue empty", attempts=2400)


def test_a_failing_batch_stays_and_partial_failures_leave_only_their_messages(
    sb: Sandbox,
) -> None:
    url, _, _ = consumer(sb, visibility_timeout=1)
    send(sb, url, "please-fail-" + uuid.uuid4().hex[:6])
    eventually(lambda: queued(sb, url)[1] == 1, "the failing batch was received")
    assert sum(queued(sb, url)) == 1  # not deleted: back after the visibility timeout

    url, _, _ = consumer(
        sb,
        visibility_timeout=30,
        handler="app.partial",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    good, bad = bodies(1)[0], "fail-" + uuid.uuid4().hex[:6]
    send(sb, url, good, bad)
    eventually(lambda: deliveries(sb, good) == 1, "the good message processed")
    eventually(lambda: queued(sb, url) == (0, 1), "only the reported failure left (in flight)")


def test_role_without_receive_permission_does_not_poll(sb: Sandbox, witness: Any) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
    }
    role = make_role(sb, f"no-sqs-{uuid.uuid4().hex[:6]}", policy)
    url, _, _ = consumer(sb, role_arn=role)
    sent = bodies(2)
    send(sb, url, *sent)
    witness()
    assert queued(sb, url) == (2, 0)
    assert [deliveries(sb, b) for b in sent] == [0, 0]
