"""Lambda event source mappings for SQS: the poller the Lambda service runs for every mapping.

moto stores mappings (create/get/list/update/delete work) but does not poll: its
``Queue.add_message`` (``moto/sqs/models.py``, reached from ``SendMessage``,
``SendMessageBatch`` and any backend ``send_message``, e.g. EventBridge's SQS delivery) receives
the new message for every mapping registered on the queue and invokes the function through
moto's Docker-based runtime (``LambdaBackend.send_sqs_batch``). There is no Docker here, and
that delivery ignores the runtime's concurrency, the function's real handler and the mapping's
current state.

How moto's own delivery is stopped (narrow, in this process only): moto registers a mapping on
its queue object in ``queue.lambda_event_source_mappings`` and ``add_message`` iterates that
dict. Before moto handles ``CreateEventSourceMapping`` for an SQS queue (``intercept``, which
does not answer the request), and for every SQS mapping the poller sees (mappings made some
other way, e.g. CloudFormation), that one queue's dict is replaced by :class:`_NoMotoDelivery`,
a dict that keeps nothing. ``add_message`` then finds no mapping to invoke. Nothing else in moto
reads that dict; the Lambda backend's own list of mappings (what the API answers from) is
untouched. Other queues, and DynamoDB/Kinesis mappings, keep moto's behaviour.

The poller, every ``POLL_INTERVAL_SECONDS`` x ``time_scale`` (at once again after a full batch),
for each mapping of an SQS queue in the sandbox's regions, reading the mapping's **current**
state each time:

- **Disabled** (``UpdateEventSourceMapping Enabled=false``): not polled; messages stay in the
  queue and flow once the mapping is enabled again;
- **Enabled**: receives up to ``BatchSize`` messages (the queue's visibility timeout; FIFO
  groups and redrive to a dead-letter queue as moto's ``ReceiveMessage``) and invokes the
  function synchronously through the sandbox's Lambda runtime with the SQS event
  (``{"Records": [{messageId, receiptHandle, body, attributes, messageAttributes, md5OfBody,
  eventSource: "aws:sqs", eventSourceARN, awsRegion}]}``); on success the messages are deleted;
  on a function error, a timeout or a throttle (reserved concurrency 0 or exhausted) they are
  left to reappear after the visibility timeout, and the mapping backs off
  ``BACKOFF_SECONDS`` x ``time_scale``. With ``FunctionResponseTypes:
  [ReportBatchItemFailures]`` only the ``batchItemFailures`` are left;
- up to ``ScalingConfig.MaximumConcurrency`` (default ``DEFAULT_CONCURRENCY``) batches per
  mapping run at once;
- when the IAM enforcer runs, the function's execution role needs ``sqs:ReceiveMessage`` on the
  queue (else the mapping does not poll: messages stay) and ``sqs:DeleteMessage`` (else
  processed messages are not deleted and come back after the visibility timeout), as on AWS.

Not simulated: ``FilterCriteria``, ``MaximumBatchingWindowInSeconds``, ``LastProcessingResult``
and the ``Enabling``/``Disabling`` transitions (moto answers ``Enabled``/``Disabled`` at once),
``AWS/SQS`` metrics. :attr:`EventSources.processed` counts deleted messages per mapping UUID.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from werkzeug.wrappers import Response

from chaosrun.sandbox.base import AwsRequest, Component, SandboxContext

log = logging.getLogger(__name__)

#: seconds between polls of a mapping with nothing to do (x time_scale)
POLL_INTERVAL_SECONDS = 0.2
#: seconds a mapping waits after a function error or throttle (x time_scale)
BACKOFF_SECONDS = 1.0
#: batches in flight per mapping without ScalingConfig.MaximumConcurrency (AWS starts with 5)
DEFAULT_CONCURRENCY = 5
#: the poller never sleeps less than this, whatever the time scale
MIN_SLEEP_SECONDS = 0.005


class _NoMotoDelivery(dict[str, Any]):
    """``Queue.lambda_event_source_mappings`` of a queue the poller serves: keeps nothing, so
    moto's ``Queue.add_message`` finds no mapping to invoke through Docker."""

    def __setitem__(self, key: str, value: Any) -> None:
        return None


def disarm_moto_delivery(queue: Any) -> None:
    """Stop moto's own (Docker) delivery from ``queue`` to its Lambda mappings."""
    if not isinstance(queue.lambda_event_source_mappings, _NoMotoDelivery):
        queue.lambda_event_source_mappings = _NoMotoDelivery()


def sqs_queue(account: str, queue_arn: str) -> Any:
    """moto's queue for ``queue_arn``, or None."""
    from moto.sqs.models import sqs_backends

    parts = queue_arn.split(":")
    if len(parts) < 6 or parts[2] != "sqs":
        return None
    try:
        return sqs_backends[parts[4] or account][parts[3]].queues.get(parts[5])
    except KeyError:
        return None


def sqs_record(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
    """One record of the SQS event Lambda sends, from moto's ``Message``."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if message.group_id:
        attributes["MessageGroupId"] = str(message.group_id)
    if message.deduplication_id:
        attributes["MessageDeduplicationId"] = str(message.deduplication_id)
    if message.sequence_number:
        attributes["SequenceNumber"] = str(message.sequence_number)
    message_attributes = {}
    for name, value in (message.message_attributes or {}).items():
        attribute: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
        if "StringValue" in value:
            attribute["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            raw = raw if isinstance(raw, bytes) else str(raw).encode()
            attribute["binaryValue"] = base64.b64encode(raw).decode()
        message_attributes[name] = attribute
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class EventSources(Component):
    """Polls SQS queues for their Lambda event source mappings. See the module docstring."""

    name: ClassVar[str] = "event_sources"
    order: ClassVar[int] = 48

    def __init__(self) -> None:
        self.ctx: SandboxContext | None = None
        #: messages deleted after successful processing, per mapping UUID
        self.processed: dict[str, int] = {}
        self._busy: dict[str, int] = {}  # batches in flight per mapping UUID
        self._backoff_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self._receive_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    # -- component ---------------------------------------------------------------------------
    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self._pool = ThreadPoolExecutor(32, thread_name_prefix="esm-batch")
        self._thread = threading.Thread(target=self._run, name="esm-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def intercept(self, request: AwsRequest) -> Response | None:
        """Disarm moto's delivery on the queue before moto registers a mapping on it."""
        if request.service != "lambda" or request.operation != "CreateEventSourceMapping":
            return None
        try:
            source = str(request.json().get("EventSourceArn") or "")
        except ValueError:
            return None
        queue = sqs_queue(self._account, source)
        if queue is not None:
            disarm_moto_delivery(queue)
        return None

    def observe(self, request: AwsRequest, status: int) -> None:
        if request.service == "lambda" and request.operation in (
            "CreateEventSourceMapping",
            "UpdateEventSourceMapping",
        ):
            self._wake.set()  # poll now: a new or re-enabled mapping drains its backlog at once

    # -- polling -------------------------------------------------------------------------------
    @property
    def _account(self) -> str:
        return self.ctx.account_id if self.ctx else "123456789012"

    def _run(self) -> None:
        assert self.ctx is not None
        interval = max(MIN_SLEEP_SECONDS, self.ctx.scaled(POLL_INTERVAL_SECONDS))
        while not self._stop.is_set() and not self.ctx.stop.is_set():
            self._wake.clear()
            try:
                self.poll_once()
            except Exception:
                log.exception("event source mapping poll failed")
            # a finished batch, a new or updated mapping wakes the poller before the interval
            self._wake.wait(interval)

    def poll_once(self) -> bool:
        """Start a batch for every enabled SQS mapping with visible messages and a free slot;
        True when any batch was started."""
        from moto.awslambda.models import lambda_backends

        assert self.ctx is not None and self._pool is not None
        started = False
        now = time.monotonic()
        for region in self.ctx.regions:
            backend = lambda_backends[self._account][region]
            for esm in list(backend._event_source_mappings.values()):
                queue = sqs_queue(self._account, esm.event_source_arn)
                if queue is None:
                    continue
                disarm_moto_delivery(queue)
                if not esm.enabled or self._backoff_until.get(esm.uuid, 0.0) > now:
                    continue
                visible = len(queue.messages)  # visible, not delayed
                if not visible:
                    continue
                batch_size = max(1, int(esm.batch_size or 10))
                with self._lock:
                    busy = self._busy.get(esm.uuid, 0)
                    batches = min(_concurrency(esm) - busy, -(-visible // batch_size))
                    if batches <= 0:
                        continue
                    self._busy[esm.uuid] = busy + batches
                for _ in range(batches):
                    self._pool.submit(self._batch_guarded, region, esm, queue)
                started = True
        return started

    def _batch_guarded(self, region: str, esm: Any, queue: Any) -> None:
        try:
            self.process_batch(region, esm, queue)
        except Exception:
            if self._stop.is_set():  # the sandbox is stopping: the runtime may be gone
                log.debug("event source mapping %s: batch ended by the stop", esm.uuid)
            else:
                log.exception("event source mapping %s: batch failed", esm.uuid)
                self._backoff(esm)
        finally:
            with self._lock:
                self._busy[esm.uuid] = max(0, self._busy.get(esm.uuid, 0) - 1)
            self._wake.set()

    def process_batch(self, region: str, esm: Any, queue: Any) -> int:
        """Receive one batch for ``esm``, invoke its function, delete what succeeded; returns
        the number of messages deleted."""
        from moto.sqs.models import sqs_backends

        assert self.ctx is not None
        fn = self._function(region, esm.function_arn)
        if fn is None:  # deleted: the mapping stays, and so do the messages
            self._backoff(esm)
            return 0
        role = str(fn.role)
        if not self._allowed(role, "sqs:ReceiveMessage", queue.queue_arn, region):
            log.info("mapping %s: role %s may not receive from %s", esm.uuid, role, queue.name)
            self._backoff(esm)
            return 0
        sqs = sqs_backends[queue.account_id][queue.region]
        with self._receive_lock:  # moto's receive is not atomic: concurrent batches would overlap
            messages = sqs.receive_message(
                queue.name,
                int(esm.batch_size or 10),
                0,
                int(queue.visibility_timeout),
                message_attribute_names=["All"],
            )
        if not messages:  # e.g. every visible FIFO group has a batch in flight
            self._backoff(esm, POLL_INTERVAL_SECONDS)
            return 0
        event = {"Records": [sqs_record(m, queue.queue_arn, queue.region) for m in messages]}
        runtime = self.ctx.components["lambda"]
        result = runtime.invoke(  # type: ignore[attr-defined]
            region, fn.function_name, json.dumps(event).encode(), invocation_type="RequestResponse"
        )
        if int(result.status) >= 300 or result.function_error or result.timed_out:
            # throttled, failed or timed out: the messages come back after the visibility timeout
            log.info(
                "mapping %s: %s returned %s %s; %d message(s) left in %s",
                esm.uuid,
                fn.function_name,
                result.status,
                result.error_type or result.function_error or "",
                len(messages),
                queue.name,
            )
            self._backoff(esm)
            return 0
        failed = _batch_item_failures(esm, result.payload)
        if not self._allowed(role, "sqs:DeleteMessage", queue.queue_arn, region):
            log.info("mapping %s: role %s may not delete from %s", esm.uuid, role, queue.name)
            return 0
        deleted = 0
        for message in messages:
            if message.id in failed:
                continue
            try:
                sqs.delete_message(queue.name, str(message.receipt_handle))
                deleted += 1
            except Exception:  # gone meanwhile (purged, visibility expired and re-received)
                log.debug("mapping %s: could not delete %s", esm.uuid, message.id)
        with self._lock:
            self.processed[esm.uuid] = self.processed.get(esm.uuid, 0) + deleted
        if failed:
            self._backoff(esm)
        return deleted

    # -- helpers -------------------------------------------------------------------------------
    def _backoff(self, esm: Any, seconds: float = BACKOFF_SECONDS) -> None:
        assert self.ctx is not None
        self._backoff_until[esm.uuid] = time.monotonic() + self.ctx.scaled(seconds)

    def _function(self, region: str, function_arn: str) -> Any:
        from moto.awslambda.models import lambda_backends

        try:
            return lambda_backends[self._account][region].get_function(function_arn)
        except Exception:
            return None

    def _allowed(self, role_arn: str, action: str, resource: str, region: str) -> bool:
        """Whether the execution role may ``action`` (when the IAM enforcer runs)."""
        assert self.ctx is not None
        enforcer = self.ctx.components.get("iam")
        if enforcer is None or not hasattr(enforcer, "decide"):
            return True
        request = AwsRequest(
            service="sqs",
            region=region,
            operation=action.split(":", 1)[1],
            access_key=None,
            method="POST",
            path="/",
            query={},
            headers={},
            body=b"",
            principal=role_arn,
        )
        return bool(enforcer.decide(role_arn, action, resource, request) == "allow")


def _concurrency(esm: Any) -> int:
    scaling = esm.scaling_config or {}
    try:
        return max(1, int(scaling.get("MaximumConcurrency") or DEFAULT_CONCURRENCY))
    except (TypeError, ValueError):
        return DEFAULT_CONCURRENCY


def _batch_item_failures(esm: Any, payload: bytes) -> set[str]:
    """Message ids the function reported as failed (``ReportBatchItemFailures``)."""
    if "ReportBatchItemFailures" not in (esm.function_response_types or []):
        return set()
    try:
        body = json.loads(payload or b"null")
    except ValueError:
        return set()
    if not isinstance(body, dict):
        return set()
    failures = body.get("batchItemFailures") or []
    return {
        str(f.get("itemIdentifier"))
        for f in failures
        if isinstance(f, dict) and "itemIdentifier" in f
    }
