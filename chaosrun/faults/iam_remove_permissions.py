"""Take permissions away from IAM roles: detach managed policies, remove inline policies, or
add an explicit Deny.

Exactly one mode per fault:

- ``detach_policies``: managed policy ARNs to detach; restore re-attaches those that were
  attached before (a listed policy that was not attached stays detached).
- ``remove_inline_policies``: inline policy names to delete; the snapshot keeps their documents
  and restore puts them back.
- ``deny`` (most surgical): adds the inline policy ``chaosrun-deny-<hash>`` with an explicit
  Deny of ``actions`` on ``resources``; restore deletes it (it is what the fault created).

The state covers only the listed policies: ``attached`` (policy ARN -> attached?) and ``inline``
(policy name -> canonical JSON document, or ``None`` when absent). If someone re-attaches or edits
one of them during the run, restore reports drift instead of clobbering it.

IAM is global and not covered by the Resource Groups Tagging API: roles are found by name, ARN,
or by tags through ``ListRoles`` + ``ListRoleTags``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from pydantic import BaseModel, Field, model_validator

from chaosrun.errors import NoTargets
from chaosrun.faults.base import Fault, Params, ResourceGone, Target, TargetedParams
from chaosrun.plugins import FAULTS

ROLE_KIND = "iam:role"
DENY_PREFIX = "chaosrun-deny-"


class DenySpec(Params):
    actions: list[str] = Field(min_length=1, description='IAM actions, e.g. "dynamodb:PutItem"')
    resources: list[str] = Field(
        default=["*"], min_length=1, description="resource ARNs (default *)"
    )

    def policy_name(self) -> str:
        digest = hashlib.sha256(
            json.dumps([sorted(self.actions), sorted(self.resources)]).encode()
        ).hexdigest()
        return DENY_PREFIX + digest[:10]

    def document(self) -> str:
        return canonical(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ChaosrunDeny",
                        "Effect": "Deny",
                        "Action": list(self.actions),
                        "Resource": list(self.resources),
                    }
                ],
            }
        )


_ONE_MODE = "give exactly one of detach_policies, remove_inline_policies or deny"


class RemovePermissionsParams(TargetedParams):
    rules: ClassVar[tuple[str, ...]] = (*TargetedParams.rules, _ONE_MODE)

    detach_policies: list[str] | None = Field(
        default=None, description="managed policy ARNs to detach"
    )
    remove_inline_policies: list[str] | None = Field(
        default=None, description="inline policy names"
    )
    deny: DenySpec | None = Field(default=None, description="add an inline explicit Deny policy")

    @model_validator(mode="after")
    def _one_mode(self) -> RemovePermissionsParams:
        given = [
            k for k in ("detach_policies", "remove_inline_policies", "deny") if getattr(self, k)
        ]
        if len(given) != 1:
            raise ValueError(_ONE_MODE)
        return self


class RolePolicies(BaseModel):
    attached: dict[str, bool] = Field(
        default_factory=dict, description="managed policy ARN -> attached"
    )
    inline: dict[str, str | None] = Field(
        default_factory=dict, description="inline policy name -> canonical JSON, None if absent"
    )


def canonical(document: Any) -> str:
    """Policy documents compared and stored as compact, key-sorted JSON."""
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


@FAULTS.register("chaosrun.faults.iam.remove_permissions")
class RemovePermissions(Fault[RemovePermissionsParams, RolePolicies]):
    name = "chaosrun.faults.iam.remove_permissions"
    summary = (
        "Take permissions from IAM roles: detach managed policies, delete inline policies or add "
        "an explicit Deny; restore puts back exactly what was there."
    )
    params_model = RemovePermissionsParams
    state_model = RolePolicies
    resource_kind = ROLE_KIND
    # one AttachRolePolicy/DetachRolePolicy per managed policy, one PutRolePolicy/DeleteRolePolicy
    # per inline policy
    partial_writes = True
    permissions = (
        "iam:ListRoles",
        "iam:GetRole",
        "iam:ListRoleTags",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:ListAttachedRolePolicies",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
    )

    def _client(self) -> Any:
        return self.clients.client("iam", self.regions()[0])

    def discover(self) -> list[Target]:
        return discover_roles(self._client(), self.params, self.regions()[0])

    def read(self, target: Target) -> RolePolicies:
        iam = self._client()
        p = self.params
        try:
            iam.get_role(RoleName=target.name)
        except iam.exceptions.NoSuchEntityException as exc:
            raise ResourceGone(str(exc)) from exc
        attached: dict[str, bool] = {}
        if p.detach_policies:
            now: set[str] = set()
            for page in iam.get_paginator("list_attached_role_policies").paginate(
                RoleName=target.name
            ):
                now.update(x["PolicyArn"] for x in page["AttachedPolicies"])
            attached = {arn: arn in now for arn in p.detach_policies}
        names = p.remove_inline_policies or ([p.deny.policy_name()] if p.deny else [])
        inline = {n: self._inline(iam, target.name, n) for n in names}
        return RolePolicies(attached=attached, inline=inline)

    @staticmethod
    def _inline(iam: Any, role: str, name: str) -> str | None:
        try:
            doc = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        except iam.exceptions.NoSuchEntityException:
            return None
        return canonical(doc)

    def plan(self, target: Target, before: RolePolicies) -> RolePolicies:
        p = self.params
        if p.deny:
            return RolePolicies(inline={p.deny.policy_name(): p.deny.document()})
        return RolePolicies(
            attached={arn: False for arn in before.attached},
            inline={name: None for name in before.inline},
        )

    def write(self, target: Target, state: RolePolicies, current: RolePolicies) -> None:
        iam = self._client()
        for arn, attached in state.attached.items():
            if current.attached.get(arn) == attached:
                continue
            if attached:
                iam.attach_role_policy(RoleName=target.name, PolicyArn=arn)
            else:
                iam.detach_role_policy(RoleName=target.name, PolicyArn=arn)
        for name, document in state.inline.items():
            if current.inline.get(name) == document:
                continue
            if document is None:
                iam.delete_role_policy(RoleName=target.name, PolicyName=name)
            else:
                iam.put_role_policy(RoleName=target.name, PolicyName=name, PolicyDocument=document)

    def describe_change(self, target: Target, before: RolePolicies, after: RolePolicies) -> str:
        changes = [
            f"{'attach' if v else 'detach'} {k}"
            for k, v in after.attached.items()
            if before.attached.get(k) != v
        ] + [
            f"{'delete' if v is None else 'put'} inline {k}"
            for k, v in after.inline.items()
            if before.inline.get(k) != v
        ]
        return f"{target}: {', '.join(changes) or 'no change'}"


def discover_roles(iam: Any, params: TargetedParams, region: str) -> list[Target]:
    """IAM roles by name, ARN or tags (``ListRoles`` + ``ListRoleTags``; IAM is global)."""

    def target(role: dict[str, Any]) -> Target:
        return Target(arn=role["Arn"], name=role["RoleName"], region=region, kind=ROLE_KIND)

    found: list[Target] = []
    wanted = [*(params.names or []), *(a.rsplit("/", 1)[-1] for a in params.arns or [])]
    for name in wanted:
        try:
            found.append(target(iam.get_role(RoleName=name)["Role"]))
        except iam.exceptions.NoSuchEntityException:
            raise NoTargets(
                f"IAM role {name!r} does not exist; check the name (roles are global, names are "
                "case-sensitive)"
            ) from None
    if params.tags:
        for page in iam.get_paginator("list_roles").paginate():
            for role in page["Roles"]:
                tags = {
                    t["Key"]: t["Value"]
                    for t in iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", [])
                }
                if all(tags.get(k) == v for k, v in params.tags.items()):
                    found.append(target(role))
    return found
