"""Pause DynamoDB global-table replication into one replica, the way AWS FIS does it.

FIS action ``aws:dynamodb:global-table-pause-replication`` (MREC tables) appends one Deny
statement to the replica table's resource-based policy; DynamoDB's replication service-linked
role is then refused and replication to and from that replica stops until the statement is
removed or its ``aws:CurrentTime`` condition expires. This fault adds the same statement,
with the Sid prefix ``ChaosrunPauseReplication``, and removes only it on restore.

Exact statement (``<...>`` filled in per table; the sandbox honours exactly this shape)::

    {
      "Sid": "ChaosrunPauseReplication<12 hex digits>",
      "Effect": "Deny",
      "Principal": {"AWS": "*"},
      "Action": [
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:UpdateTable",
        "dynamodb:Scan", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive"
      ],
      "Resource": "<table ARN>",
      "Condition": {
        "DateLessThan": {"aws:CurrentTime": "<expiry, e.g. 2026-11-28T09:51:41.511Z>"},
        "ArnEquals": {"aws:PrincipalArn": "<replication role ARN>"}
      }
    }

where ``<replication role ARN>`` is the one string
``arn:aws:iam::<account>:role/aws-service-role/replication.dynamodb.amazonaws.com/``
``AWSServiceRoleForDynamoDBReplication`` (``<account>`` from the table ARN).

The expiry is injection time + ``duration_seconds``: if chaosrun dies and nobody rolls back,
replication resumes by itself. FIS also denies the replication role on the table's stream
policy; that part is not done here (moto cannot hold stream policies).
"""

from __future__ import annotations

from pydantic import Field

from chaosrun.faults.base import Target, TargetedParams
from chaosrun.faults.dynamodb_policy import PolicyStatement, TablePolicyFault, table_account
from chaosrun.plugins import FAULTS

SID_PREFIX = "ChaosrunPauseReplication"
REPLICATION_ROLE = (
    "arn:aws:iam::{account}:role/aws-service-role/replication.dynamodb.amazonaws.com/"
    "AWSServiceRoleForDynamoDBReplication"
)
REPLICATION_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:UpdateTable",
    "dynamodb:Scan",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:UpdateTimeToLive",
)


class PauseReplicationParams(TargetedParams):
    duration_seconds: int = Field(
        ge=1, le=43200, description="the statement expires by itself after this (max 12 h)"
    )


@FAULTS.register("chaosrun.faults.dynamodb.pause_replication")
class PauseReplication(TablePolicyFault):
    name = "chaosrun.faults.dynamodb.pause_replication"
    summary = (
        "Pause global-table replication of replica tables (FIS-style Deny of the replication "
        "role in the table's resource policy, expiring by itself)."
    )
    params_model = PauseReplicationParams
    permissions = TablePolicyFault.base_permissions
    sid_prefix = SID_PREFIX

    def statement(self, target: Target) -> PolicyStatement:
        return PolicyStatement(
            Sid=self.sid,
            Effect="Deny",
            Principal={"AWS": "*"},
            Action=list(REPLICATION_ACTIONS),
            Resource=target.arn,
            Condition={
                "DateLessThan": {"aws:CurrentTime": self.expires},
                "ArnEquals": {
                    "aws:PrincipalArn": REPLICATION_ROLE.format(account=table_account(target.arn))
                },
            },
        )
