"""Faults that add one Deny statement to a DynamoDB table's resource-based policy.

The statement is found again by its ``Sid`` prefix, so restore removes exactly what the fault
added: the other statements of the policy are written back untouched, and a policy that
becomes empty is deleted (a table without a policy before has none after). Every write passes
``ExpectedRevisionId``, so a policy changed concurrently is never overwritten blindly.

The state is the list of statements whose ``Sid`` starts with the fault's prefix (normally
empty before, one statement after); ``policy_existed`` records whether the table had a policy
at all, for the report, and is not part of drift detection.

Note: AWS blocks updates to one table's policy for 15 seconds after a change, so two policy
faults on the same table in quick succession fail with a clear error; space them out.
"""

from __future__ import annotations

import json
import uuid
from abc import abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from chaosrun.aws.discovery import targets_from
from chaosrun.faults.base import Fault, Params, ResourceGone, Target, TargetedParams

TABLE_KIND = "dynamodb:table"


class PolicyStatement(BaseModel):
    """One IAM policy statement, kept field for field (unknown keys are preserved)."""

    model_config = ConfigDict(extra="allow")

    Sid: str
    Effect: str
    Principal: Any = None
    Action: Any = None
    Resource: Any = None
    Condition: Any = None

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class ChaosStatements(BaseModel):
    """The statements of a table policy carrying the fault's ``Sid`` prefix."""

    statements: list[PolicyStatement]
    policy_existed: bool = True


class _Policy(BaseModel):
    statements: list[dict[str, Any]]
    revision_id: str | None
    version: str = "2012-10-17"


def expiry_timestamp(moment: datetime) -> str:
    """``aws:CurrentTime`` format used by FIS: ``2024-04-10T09:51:41.511Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def table_account(table_arn: str) -> str:
    return table_arn.split(":")[4]


class TablePolicyFault(Fault[Any, ChaosStatements]):
    """Base of the table-policy faults; subclasses give ``sid_prefix`` and ``statement()``."""

    state_model = ChaosStatements
    resource_kind = TABLE_KIND
    sid_prefix: ClassVar[str]
    base_permissions: ClassVar[tuple[str, ...]] = (
        "dynamodb:DescribeTable",
        "dynamodb:GetResourcePolicy",
        "dynamodb:PutResourcePolicy",
        "dynamodb:DeleteResourcePolicy",
        "dynamodb:ListTagsOfResource",
        "dynamodb:TagResource",
        "dynamodb:UntagResource",
        "tag:GetResources",
    )

    def __init__(self, params: Params, clients: Any) -> None:
        super().__init__(params, clients)
        # fixed per fault instance, so the two plan() calls of one injection agree
        self.sid = f"{self.sid_prefix}{uuid.uuid4().hex[:12]}"
        duration = getattr(params, "duration_seconds", None)
        self.expires = (
            expiry_timestamp(datetime.now(UTC) + timedelta(seconds=duration)) if duration else None
        )

    @abstractmethod
    def statement(self, target: Target) -> PolicyStatement:
        """The Deny statement this fault adds to ``target``'s policy."""

    def _client(self, target: Target) -> Any:
        return self.clients.client("dynamodb", target.region)

    def discover(self) -> list[Target]:
        p: TargetedParams = self.params

        def arn_for_name(name: str, region: str) -> str:
            table = self.clients.client("dynamodb", region).describe_table(TableName=name)
            return str(table["Table"]["TableArn"])

        return targets_from(
            self.clients,
            kind=self.resource_kind,
            regions=self.regions(),
            names=p.names,
            arns=p.arns,
            tags=p.tags,
            arn_for_name=arn_for_name,
        )

    def _policy(self, target: Target) -> _Policy | None:
        client = self._client(target)
        try:
            resp = client.get_resource_policy(ResourceArn=target.arn)
        except client.exceptions.PolicyNotFoundException:
            return None
        except client.exceptions.ResourceNotFoundException as exc:
            raise ResourceGone(str(exc)) from exc
        doc = json.loads(resp["Policy"])
        statements = doc.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        return _Policy(
            statements=statements,
            revision_id=resp.get("RevisionId"),
            version=doc.get("Version", "2012-10-17"),
        )

    def _ours(self, statement: dict[str, Any]) -> bool:
        return str(statement.get("Sid", "")).startswith(self.sid_prefix)

    def read(self, target: Target) -> ChaosStatements:
        policy = self._policy(target)
        if policy is None:
            return ChaosStatements(statements=[], policy_existed=False)
        ours = [PolicyStatement.model_validate(s) for s in policy.statements if self._ours(s)]
        return ChaosStatements(statements=sorted(ours, key=lambda s: s.Sid), policy_existed=True)

    def plan(self, target: Target, before: ChaosStatements) -> ChaosStatements:
        return ChaosStatements(
            statements=[*before.statements, self.statement(target)], policy_existed=True
        )

    def same(self, a: ChaosStatements, b: ChaosStatements) -> bool:
        return [s.document() for s in a.statements] == [s.document() for s in b.statements]

    def write(self, target: Target, state: ChaosStatements, current: ChaosStatements) -> None:
        client = self._client(target)
        policy = self._policy(target)
        others = [s for s in policy.statements if not self._ours(s)] if policy else []
        statements = others + [s.document() for s in state.statements]
        if not statements:
            if policy is not None:
                client.delete_resource_policy(
                    ResourceArn=target.arn, ExpectedRevisionId=policy.revision_id
                )
            return
        version = policy.version if policy else "2012-10-17"
        client.put_resource_policy(
            ResourceArn=target.arn,
            Policy=json.dumps({"Version": version, "Statement": statements}),
            ExpectedRevisionId=policy.revision_id if policy and policy.revision_id else "NO_POLICY",
        )
