"""Deny data-plane access to DynamoDB tables in one region (a resource-policy Deny statement).

Every item read and write on the table fails with ``AccessDeniedException`` for the denied
principals (everyone by default), as when a region's table is unreachable. Restore removes only
this statement (Sid prefix ``ChaosrunDenyAccess``). Statement::

    {
      "Sid": "ChaosrunDenyAccess<12 hex digits>",
      "Effect": "Deny",
      "Principal": {"AWS": "*"}            # or {"AWS": [<principals>]}
      "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                 "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan",
                 "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"],
      "Resource": "<table ARN>",
      "Condition": {"DateLessThan": {"aws:CurrentTime": "<expiry>"}}   # only with duration_seconds
    }
"""

from __future__ import annotations

from pydantic import Field

from chaosrun.faults.base import Target, TargetedParams
from chaosrun.faults.dynamodb_policy import PolicyStatement, TablePolicyFault
from chaosrun.plugins import FAULTS

SID_PREFIX = "ChaosrunDenyAccess"
DATA_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
)


class DenyAccessParams(TargetedParams):
    principals: list[str] | None = Field(
        None, description="IAM principal ARNs to deny (default: everyone, '*')"
    )
    duration_seconds: int | None = Field(
        None, ge=1, le=43200, description="optional: the statement expires by itself after this"
    )


@FAULTS.register("chaosrun.faults.dynamodb.deny_access")
class DenyAccess(TablePolicyFault):
    name = "chaosrun.faults.dynamodb.deny_access"
    summary = "Deny item reads and writes on DynamoDB tables (resource-policy Deny statement)."
    params_model = DenyAccessParams
    permissions = TablePolicyFault.base_permissions
    sid_prefix = SID_PREFIX

    def statement(self, target: Target) -> PolicyStatement:
        principals = self.params.principals
        return PolicyStatement(
            Sid=self.sid,
            Effect="Deny",
            Principal={"AWS": sorted(principals) if principals else "*"},
            Action=list(DATA_ACTIONS),
            Resource=target.arn,
            Condition=(
                {"DateLessThan": {"aws:CurrentTime": self.expires}} if self.expires else None
            ),
        )
