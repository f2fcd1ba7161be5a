"""EventBridge delivery that honours rule state, targets and permissions.

moto's ``PutEvents`` delivers to every rule's targets, enabled or not. This component answers
``PutEvents`` itself (moto never sees it) and delivers each event only through **enabled** rules
of its bus whose event pattern matches (moto's own matcher), to the targets the rule has now
(``RemoveTargets`` takes effect at once):

- **SQS** queues: the message body is the event (or the target's ``Input``/``InputPath``/
  ``InputTransformer`` result), sent into moto's queue at once;
- **Lambda** functions: invoked asynchronously through the sandbox's Lambda runtime, only if the
  function's resource policy allows ``events.amazonaws.com`` (from the rule's ARN, when the
  statement has an ``AWS:SourceArn`` condition); otherwise the delivery is dropped, as AWS does;
- other **event buses**: re-put there (cross-region/-account);
- CloudWatch Logs groups and archives: through moto's own helpers.

Validation and the answer (``Entries`` with ``EventId`` or ``ErrorCode``, ``FailedEntryCount``)
follow moto. :attr:`EventBridge.deliveries` counts successful deliveries per target ARN.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import uuid
from typing import Any

from werkzeug.wrappers import Response

from chaosrun.sandbox.base import AwsRequest, Component, SandboxContext

log = logging.getLogger(__name__)


def events_backend(ctx: SandboxContext, region: str, account: str | None = None) -> Any:
    from moto.events.models import events_backends

    return events_backends[account or ctx.account_id][region]


def lambda_policy_allows_events(policy: str | None, rule_arn: str) -> bool:
    """Whether a Lambda resource policy lets EventBridge (this rule) invoke the function."""
    if not policy:
        return False
    try:
        statements = json.loads(policy).get("Statement", [])
    except ValueError:
        return False
    allowed = False
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal", {})
        service = principal.get("Service") if isinstance(principal, dict) else principal
        services = [service] if isinstance(service, str) else list(service or [])
        if "events.amazonaws.com" not in services:
            continue
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions):
            continue
        source = None
        for cond in (st.get("Condition") or {}).values():
            source = cond.get("AWS:SourceArn") or cond.get("aws:SourceArn") or source
        if source and source != rule_arn and not _glob(source, rule_arn):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


def _glob(pattern: str, value: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


def _json_path(event: dict[str, Any], path: str) -> Any:
    node: Any = event
    for part in path.lstrip("$").strip(".").split("."):
        if part:
            node = node.get(part) if isinstance(node, dict) else None
    return node


class EventBridge(Component):
    """Answers PutEvents and delivers to enabled rules' targets. See the module docstring."""

    name = "eventbridge"
    order = 45

    def __init__(self) -> None:
        self.ctx: SandboxContext | None = None
        self.deliveries: dict[str, int] = {}
        self._lock = threading.Lock()

    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx

    # -- AWS API --------------------------------------------------------------------------
    def intercept(self, request: AwsRequest) -> Response | None:
        if request.service != "events" or request.operation != "PutEvents":
            return None
        entries_in = request.json().get("Entries", [])
        if len(entries_in) > 10:
            return _error(
                "ValidationException",
                "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed "
                "to satisfy constraint: Member must have length less than or equal to 10",
            )
        entries = [self.put_event(request.region, entry) for entry in entries_in]
        failed = sum(1 for e in entries if "ErrorCode" in e)
        body = json.dumps({"FailedEntryCount": failed, "Entries": entries})
        return Response(body, status=200, content_type="application/x-amz-json-1.1")

    # -- delivery -------------------------------------------------------------------------
    def put_event(
        self, region: str, entry: dict[str, Any], account: str | None = None
    ) -> dict[str, Any]:
        """Validate and deliver one ``PutEvents`` entry; returns its result entry."""
        for field, name in (
            ("Source", "Source"),
            ("DetailType", "DetailType"),
            ("Detail", "Detail"),
        ):
            if not entry.get(field):
                return {
                    "ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Parameter {name} is not valid. Reason: {name} is a required "
                    "argument.",
                }
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
        assert self.ctx is not None
        from moto.core.utils import iso_8601_datetime_without_milliseconds, utcnow

        backend = events_backend(self.ctx, region, account)
        event_id = str(uuid.uuid4())
        try:
            bus = backend.describe_event_bus(
                backend._normalize_event_bus_arn(entry.get("EventBusName"))
            )
        except Exception as exc:
            return {"ErrorCode": "ResourceNotFoundException", "ErrorMessage": str(exc)}
        event = {
            "version": "0",
            "id": event_id,
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": backend.account_id,
            "time": iso_8601_datetime_without_milliseconds(utcnow()),
            "region": region,
            "resources": entry.get("Resources", []),
            "detail": detail,
        }
        for rule in list(bus.rules.values()):
            if rule.state != "ENABLED" or rule.scheduled_expression:
                continue
            if not rule.event_pattern.matches_event(event):
                continue
            for target in list(rule.targets):
                try:
                    self._deliver(rule, target, copy.deepcopy(event))
                except Exception:
                    log.exception("delivery of %s to %s failed", event_id, target.get("Arn"))
        return {"EventId": event_id}

    def _payload(self, target: dict[str, Any], event: dict[str, Any]) -> Any:
        if "Input" in target:
            return json.loads(target["Input"])
        if "InputPath" in target:
            return _json_path(event, target["InputPath"])
        transformer = target.get("InputTransformer")
        if transformer:
            from moto.events.models import EventTemplateParser

            return EventTemplateParser.parse(
                input_template=transformer.get("InputTemplate"),
                input_paths_map=transformer.get("InputPathsMap", {}),
                event=event,  # type: ignore[arg-type]
            )
        return event

    def _deliver(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        from moto.utilities.arns import parse_arn

        assert self.ctx is not None
        arn = parse_arn(target["Arn"])
        payload = self._payload(target, event)
        body = payload if isinstance(payload, str) else json.dumps(payload)
        delivered = False
        if arn.service == "sqs":
            from moto.sqs.models import sqs_backends

            group = target.get("SqsParameters", {}).get("MessageGroupId")
            sqs_backends[arn.account][arn.region].send_message(
                queue_name=arn.resource_id, message_body=body, group_id=group
            )
            delivered = True
        elif arn.service == "lambda":
            delivered = self._invoke(arn.region, arn.resource_id, rule.arn, body)
        elif arn.service == "events" and arn.resource_type == "event-bus":
            result = self.put_event(
                arn.region,
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "EventBusName": arn.resource_id,
                    "Resources": event.get("resources", []),
                },
                arn.account,
            )
            delivered = "EventId" in result
        elif arn.service == "logs":
            rule._send_to_cw_log_group(arn.resource_id, payload)
            delivered = True
        elif arn.service == "events" and not arn.resource_type:
            from moto.core.utils import unix_time

            archived = dict(event, time=unix_time(), **{"archive-arn": target["Arn"]})
            rule._send_to_events_archive(arn.resource_id, archived)
            delivered = True
        if delivered:
            with self._lock:
                self.deliveries[target["Arn"]] = self.deliveries.get(target["Arn"], 0) + 1

    def _invoke(self, region: str, function: str, rule_arn: str, body: str) -> bool:
        assert self.ctx is not None
        name = function.split(":")[0]
        from moto.awslambda.models import lambda_backends

        backend = lambda_backends[self.ctx.account_id][region]
        try:
            policy = backend.get_policy(name, None)
        except Exception:
            policy = None
        if not lambda_policy_allows_events(policy, rule_arn):
            log.info("EventBridge may not invoke %s (resource policy): event dropped", name)
            return False
        runtime = self.ctx.components.get("lambda")
        if runtime is not None and hasattr(runtime, "invoke"):
            result = runtime.invoke(region, name, body.encode(), invocation_type="Event")
            return int(result.status) < 300
        self.ctx.clients.client("lambda", region).invoke(
            FunctionName=name, InvocationType="Event", Payload=body.encode()
        )
        return True


def _error(code: str, message: str) -> Response:
    body = json.dumps({"__type": code, "message": message})
    return Response(body, status=400, content_type="application/x-amz-json-1.1")
