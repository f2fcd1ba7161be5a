"""IAM for Lambda functions' own calls.

A request signed with sandbox-issued function credentials (``AwsRequest.principal`` set by the
credentials component) is authorised against the execution role's **current** identity policies
(attached managed + inline) with moto's policy evaluator: an explicit Deny wins, an Allow is
needed. For DynamoDB the Deny statements of the table's resource policy that name the role (or
``*``) apply as well. Denied calls get the service's AccessDenied error shape. Control-plane
requests (any key the sandbox did not issue) pass unchecked.

Differences from AWS: policy ``Condition`` blocks are ignored (the statement applies as if its
conditions held), except in DynamoDB resource-policy Denies, where ``aws:PrincipalArn``
(``ArnEquals``/``ArnLike``/``StringEquals``/``StringLike``) and ``DateLessThan
aws:CurrentTime`` are honoured, so the replication pause (a Deny of the replication role only)
and expiring denies behave as in AWS; permission boundaries, SCPs and session policies are not
modelled.
"""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, unquote

from werkzeug.wrappers import Response

from chaosrun.sandbox.base import AwsRequest, Component, SandboxContext

log = logging.getLogger(__name__)

#: SigV4 signing name -> IAM action prefix, where they differ
ACTION_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "eventbridge": "events"}
Decision = Literal["allow", "implicit-deny", "explicit-deny", "resource-deny"]


def _params(request: AwsRequest) -> dict[str, Any]:
    """Request parameters from a JSON body, a form body or the query string."""
    ctype = request.headers.get("content-type", "")
    if "json" in ctype or request.headers.get("x-amz-target"):
        try:
            data = request.json()
            return data if isinstance(data, dict) else {}
        except ValueError:
            return {}
    if ctype.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(request.body.decode("utf-8", "replace")))
    return dict(request.query)


def resources(request: AwsRequest, account: str) -> list[str]:
    """The ARNs a request acts on (``*`` when the sandbox cannot tell)."""
    region, svc, p = request.region, request.service, _params(request)
    if svc == "dynamodb":
        names: list[str] = []
        if "TableName" in p:
            names.append(p["TableName"])
        names += list(p.get("RequestItems") or {})
        for item in p.get("TransactItems") or []:
            names += [
                v["TableName"] for v in item.values() if isinstance(v, dict) and "TableName" in v
            ]
        return [
            n if n.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{n}"
            for n in names
        ] or ["*"]
    if svc == "sqs":
        url = p.get("QueueUrl") or request.path
        name = p.get("QueueName") or url.rstrip("/").rsplit("/", 1)[-1]
        return [f"arn:aws:sqs:{region}:{account}:{name}"] if name else ["*"]
    if svc == "sns":
        arn = p.get("TopicArn") or p.get("TargetArn")
        return [arn] if arn else ["*"]
    if svc == "events":
        buses = [e.get("EventBusName") or "default" for e in p.get("Entries") or []]
        if not buses and (p.get("EventBusName") or p.get("Name")):
            buses = [p.get("EventBusName") or p["Name"]]
        return [
            b if b.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{b}"
            for b in dict.fromkeys(buses)
        ] or ["*"]
    if svc == "ssm":
        params = [p["Name"]] if "Name" in p else list(p.get("Names") or [])
        if "Path" in p:
            params.append(p["Path"])
        return [
            n
            if n.startswith("arn:")
            else f"arn:aws:ssm:{region}:{account}:parameter/{n.lstrip('/')}"
            for n in params
        ] or ["*"]
    if svc == "lambda":
        parts = request.path.split("/")
        if len(parts) > 3 and parts[2] == "functions" and parts[3]:
            name = unquote(parts[3])
            return [
                name
                if name.startswith("arn:")
                else f"arn:aws:lambda:{region}:{account}:function:{name}"
            ]
        return ["*"]
    if svc == "s3":
        path = unquote(request.path.lstrip("/"))
        return [f"arn:aws:s3:::{path}"] if path else ["*"]
    return ["*"]


def _statements(document: Any) -> list[dict[str, Any]]:
    doc = json.loads(document) if isinstance(document, str) else document
    stmts = doc.get("Statement", [])
    return [stmts] if isinstance(stmts, dict) else list(stmts)


def _applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    stmt = {
        k: v for k, v in statement.items() if k not in ("Condition", "Principal", "NotPrincipal")
    }
    stmt["Effect"] = "Allow"
    return (
        IAMPolicyStatement(stmt).is_action_permitted(action, resource) == PermissionResult.PERMITTED
    )


def _names_principal(statement: dict[str, Any], role_arn: str) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS", [])
        aws = [aws] if isinstance(aws, str) else aws
        account = role_arn.split(":")[4]
        return any(a in ("*", role_arn, account, f"arn:aws:iam::{account}:root") for a in aws)
    return False


def _principal_conditions_hold(statement: dict[str, Any], role_arn: str) -> bool:
    """``aws:PrincipalArn`` and ``aws:CurrentTime`` conditions of a resource-policy statement
    (other conditions are treated as holding)."""
    import fnmatch
    from datetime import UTC, datetime

    for op, cond in (statement.get("Condition") or {}).items():
        for key, value in (cond or {}).items():
            values = [str(v) for v in (value if isinstance(value, list) else [value])]
            if key.lower() == "aws:principalarn":
                if op in ("ArnEquals", "StringEquals") and role_arn not in values:
                    return False
                if op in ("ArnLike", "StringLike") and not any(
                    fnmatch.fnmatchcase(role_arn, v) for v in values
                ):
                    return False
            elif key.lower() == "aws:currenttime" and op == "DateLessThan":
                try:
                    until = datetime.fromisoformat(values[0].replace("Z", "+00:00"))
                except ValueError:
                    continue
                if until.tzinfo is None:
                    until = until.replace(tzinfo=UTC)
                if datetime.now(UTC) >= until:
                    return False
    return True


class IamEnforcer(Component):
    name: ClassVar[str] = "iam"
    order: ClassVar[int] = 20

    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx

    @property
    def account(self) -> str:
        return self.ctx.account_id if getattr(self, "ctx", None) else "123456789012"

    def intercept(self, request: AwsRequest) -> Response | None:
        role_arn = request.principal
        if role_arn is None or not request.operation:
            return None
        if request.service == "sts" and request.operation == "GetCallerIdentity":
            return self._caller_identity(role_arn)
        prefix = ACTION_PREFIX.get(request.service, request.service)
        action = f"{prefix}:{request.operation}"
        for resource in resources(request, self.account):
            decision = self.decide(role_arn, action, resource, request)
            if decision != "allow":
                return self._denied(request, role_arn, action, resource, decision)
        return None

    # -- evaluation --------------------------------------------------------------------------
    def identity_documents(self, role_arn: str) -> list[Any] | None:
        """The role's current identity policy documents; None when the role does not exist."""
        from moto.iam.models import iam_backends

        backend = iam_backends[self.account]["aws"]
        try:
            role = backend.get_role(role_arn.rsplit("/", 1)[-1])
        except Exception:
            return None
        docs: list[Any] = list(role.policies.values())
        for policy in role.managed_policies.values():
            version = next((v for v in policy.versions if v.is_default), None)
            if version is not None:
                docs.append(version.document)
        return docs

    def decide(self, role_arn: str, action: str, resource: str, request: AwsRequest) -> Decision:
        docs = self.identity_documents(role_arn)
        if docs is None:
            return "implicit-deny"
        allowed = False
        for doc in docs:
            for stmt in _statements(doc):
                if not _applies(stmt, action, resource):
                    continue
                if stmt.get("Effect") == "Deny":
                    return "explicit-deny"
                allowed = True
        if request.service == "dynamodb" and resource != "*":
            for stmt in self._table_policy(request.region, resource):
                if (
                    stmt.get("Effect") == "Deny"
                    and _names_principal(stmt, role_arn)
                    and _principal_conditions_hold(stmt, role_arn)
                    and _applies(stmt, action, resource)
                ):
                    return "resource-deny"
        return "allow" if allowed else "implicit-deny"

    def _table_policy(self, region: str, table_arn: str) -> list[dict[str, Any]]:
        from moto.dynamodb.models import dynamodb_backends

        policy = dynamodb_backends[self.account][region].resource_policies.get(table_arn)
        return _statements(policy.policy_doc) if policy is not None else []

    # -- answers -----------------------------------------------------------------------------
    def _caller_identity(self, role_arn: str) -> Response:
        role = role_arn.rsplit("/", 1)[-1]
        body = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<GetCallerIdentityResult>"
            f"<Arn>arn:aws:sts::{self.account}:assumed-role/{role}/{role}</Arn>"
            f"<UserId>AROASANDBOX:{role}</UserId><Account>{self.account}</Account>"
            "</GetCallerIdentityResult><ResponseMetadata><RequestId>sandbox</RequestId>"
            "</ResponseMetadata></GetCallerIdentityResponse>"
        )
        return Response(body, status=200, content_type="text/xml")

    def _denied(
        self, request: AwsRequest, role_arn: str, action: str, resource: str, decision: Decision
    ) -> Response:
        role = role_arn.rsplit("/", 1)[-1]
        why = {
            "implicit-deny": f"because no identity-based policy allows the {action} action",
            "explicit-deny": "with an explicit deny in an identity-based policy",
            "resource-deny": "with an explicit deny in a resource-based policy",
            "allow": "",
        }[decision]
        message = (
            f"User: arn:aws:sts::{self.account}:assumed-role/{role}/{role} is not authorized to "
            f"perform: {action} on resource: {resource} {why}"
        )
        return access_denied(request, message)


def access_denied(request: AwsRequest, message: str) -> Response:
    """The AccessDenied error as ``request``'s service returns it."""
    target = request.headers.get("x-amz-target")
    if request.service == "sqs" and target:
        body = {"__type": "com.amazon.coral.service#AccessDeniedException", "message": message}
        return Response(
            json.dumps(body),
            status=403,
            content_type="application/x-amz-json-1.0",
            headers={"x-amzn-query-error": "AccessDenied;Sender"},
        )
    if target:  # JSON protocols: DynamoDB, SSM, EventBridge, CloudWatch Logs ...
        body = {
            "__type": "com.amazon.coral.service#AccessDeniedException",
            "Message": message,
            "message": message,
        }
        ctype = request.headers.get("content-type") or "application/x-amz-json-1.1"
        return Response(json.dumps(body), status=400, content_type=ctype)
    if request.service == "s3":
        body_xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            "<Message>Access Denied</Message><RequestId>sandbox</RequestId></Error>"
        )
        return Response(body_xml, status=403, content_type="application/xml")
    if request.service in ("lambda", "apigateway", "execute-api") or not request.headers.get(
        "content-type", ""
    ).startswith("application/x-www-form-urlencoded"):
        return Response(
            json.dumps({"Message": message, "Type": "User"}),
            status=403,
            content_type="application/json",
            headers={"x-amzn-ErrorType": "AccessDeniedException"},
        )
    code = "AuthorizationError" if request.service == "sns" else "AccessDenied"
    body_xml = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{_xml_escape(message)}</Message></Error>"
        "<RequestId>sandbox</RequestId></ErrorResponse>"
    )
    return Response(body_xml, status=403, content_type="text/xml")


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
