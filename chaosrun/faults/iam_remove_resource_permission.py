"""Remove statements from a Lambda function's resource-based policy.

That policy is what lets API Gateway, EventBridge, S3, SNS or another account invoke the
function; without the statement the caller gets an access error. Statements are selected by
``statement_ids`` or by ``principal`` (e.g. ``apigateway.amazonaws.com``). The snapshot keeps each
removed statement (principal, action, source ARN, source account, organisation, function URL auth
type) and restore re-adds it with ``AddPermission`` under the same statement id.

The state is the list of *matching* statements: restore reports drift if someone removed, edited
or added a matching statement meanwhile. A statement ``AddPermission`` cannot recreate exactly
(a Deny, several principals, other condition keys) is never removed: the fault leaves it in place
and the journal's before/after show it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel, Field, model_validator

from chaosrun.faults.base import Fault, Target, TargetedParams
from chaosrun.faults.lambda_common import (
    FUNCTION_KIND,
    LAMBDA_LOCK_PERMISSIONS,
    discover_functions,
    function_configuration,
)
from chaosrun.plugins import FAULTS

# condition operator, key -> AddPermission argument
_CONDITIONS = {
    ("ArnLike", "AWS:SourceArn"): "SourceArn",
    ("ArnEquals", "AWS:SourceArn"): "SourceArn",
    ("StringEquals", "AWS:SourceAccount"): "SourceAccount",
    ("StringEquals", "aws:PrincipalOrgID"): "PrincipalOrgID",
    ("StringEquals", "lambda:FunctionUrlAuthType"): "FunctionUrlAuthType",
}


_ONE_STATEMENT_SELECTOR = "give exactly one of statement_ids or principal"


class RemoveResourcePermissionParams(TargetedParams):
    rules: ClassVar[tuple[str, ...]] = (*TargetedParams.rules, _ONE_STATEMENT_SELECTOR)

    statement_ids: list[str] | None = Field(default=None, description="statement ids (Sid)")
    principal: str | None = Field(
        default=None, description="remove every statement for this principal"
    )

    @model_validator(mode="after")
    def _one_statement_selector(self) -> RemoveResourcePermissionParams:
        if (self.statement_ids is None) == (self.principal is None):
            raise ValueError(_ONE_STATEMENT_SELECTOR)
        return self


class PermissionStatement(BaseModel):
    """One resource-policy statement, as ``AddPermission`` arguments."""

    sid: str
    action: str
    principal: str
    source_arn: str | None = None
    source_account: str | None = None
    principal_org_id: str | None = None
    function_url_auth_type: str | None = None
    restorable: bool = Field(
        default=True, description="AddPermission can recreate it exactly (else never removed)"
    )

    def add_permission_args(self) -> dict[str, str]:
        args = {"StatementId": self.sid, "Action": self.action, "Principal": self.principal}
        for key, value in (
            ("SourceArn", self.source_arn),
            ("SourceAccount", self.source_account),
            ("PrincipalOrgID", self.principal_org_id),
            ("FunctionUrlAuthType", self.function_url_auth_type),
        ):
            if value is not None:
                args[key] = value
        return args


class ResourcePolicy(BaseModel):
    statements: list[PermissionStatement] = Field(
        default_factory=list, description="the matching statements, by sid"
    )


def parse_statement(raw: dict[str, Any]) -> PermissionStatement:
    """A policy statement as ``AddPermission`` arguments; unusual ones are marked unrestorable."""
    restorable = raw.get("Effect", "Allow") == "Allow"
    principal_raw = raw.get("Principal")
    principal = ""
    if isinstance(principal_raw, str):
        principal = principal_raw
    elif isinstance(principal_raw, dict) and len(principal_raw) == 1:
        value = next(iter(principal_raw.values()))
        if isinstance(value, str):
            principal = value
    if not principal:
        restorable, principal = False, json.dumps(principal_raw, sort_keys=True)
    action = raw.get("Action", "lambda:InvokeFunction")
    if not isinstance(action, str):
        restorable, action = False, json.dumps(action)
    args: dict[str, str] = {}
    for op, block in (raw.get("Condition") or {}).items():
        for key, value in block.items():
            arg = _CONDITIONS.get((op, key))
            if arg is None or not isinstance(value, str) or arg in args:
                restorable = False
                continue
            args[arg] = value
    return PermissionStatement(
        sid=str(raw.get("Sid", "")),
        action=action,
        principal=principal,
        source_arn=args.get("SourceArn"),
        source_account=args.get("SourceAccount"),
        principal_org_id=args.get("PrincipalOrgID"),
        function_url_auth_type=args.get("FunctionUrlAuthType"),
        restorable=restorable and bool(raw.get("Sid")),
    )


@FAULTS.register("chaosrun.faults.iam.remove_resource_permission")
class RemoveResourcePermission(Fault[RemoveResourcePermissionParams, ResourcePolicy]):
    name = "chaosrun.faults.iam.remove_resource_permission"
    summary = (
        "Remove statements (by id or principal) from Lambda functions' resource-based policies, "
        "so API Gateway, EventBridge or other callers are denied; restore re-adds them."
    )
    params_model = RemoveResourcePermissionParams
    state_model = ResourcePolicy
    resource_kind = FUNCTION_KIND
    # one RemovePermission/AddPermission per statement
    partial_writes = True
    permissions = (
        "lambda:GetPolicy",
        "lambda:AddPermission",
        "lambda:RemovePermission",
        *LAMBDA_LOCK_PERMISSIONS,
    )

    def _client(self, target: Target) -> Any:
        return self.clients.client("lambda", target.region)

    def discover(self) -> list[Target]:
        return discover_functions(self.clients, self.params, self.regions(), self.known_tags)

    def _matches(self, statement: PermissionStatement) -> bool:
        if self.params.statement_ids is not None:
            return statement.sid in self.params.statement_ids
        return statement.principal == self.params.principal

    def read(self, target: Target) -> ResourcePolicy:
        client = self._client(target)
        function_configuration(client, target)  # ResourceGone if the function was deleted
        try:
            policy = json.loads(client.get_policy(FunctionName=target.arn)["Policy"])
        except client.exceptions.ResourceNotFoundException:
            return ResourcePolicy()  # the function exists but has no policy
        statements = [parse_statement(s) for s in policy.get("Statement", [])]
        return ResourcePolicy(
            statements=sorted((s for s in statements if self._matches(s)), key=lambda s: s.sid)
        )

    def plan(self, target: Target, before: ResourcePolicy) -> ResourcePolicy:
        return ResourcePolicy(statements=[s for s in before.statements if not s.restorable])

    def write(self, target: Target, state: ResourcePolicy, current: ResourcePolicy) -> None:
        client = self._client(target)
        wanted = {s.sid: s for s in state.statements}
        have = {s.sid: s for s in current.statements}
        for sid, statement in have.items():
            if wanted.get(sid) != statement:
                client.remove_permission(FunctionName=target.arn, StatementId=sid)
        for sid, statement in wanted.items():
            if have.get(sid) != statement:
                client.add_permission(FunctionName=target.arn, **statement.add_permission_args())
