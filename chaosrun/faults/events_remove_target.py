"""Remove targets from EventBridge rules: matching events go nowhere until restore.

The state is the full definition of every removed target, exactly as ``ListTargetsByRule``
returns it (``Id``, ``Arn``, ``RoleArn``, ``Input``/``InputPath``/``InputTransformer``,
``DeadLetterConfig``, ``RetryPolicy``, service parameters ...), so restore ``PutTargets`` them
back unchanged. ``target_ids`` picks targets by id; without it every target of the rule goes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chaosrun.faults.base import Fault, ResourceGone, Target
from chaosrun.faults.events_rules import (
    RULE_KIND,
    RULE_PERMISSIONS,
    RuleParams,
    discover_rules,
    events_client,
    rule_ref,
)
from chaosrun.plugins import FAULTS


class RemoveTargetParams(RuleParams):
    target_ids: list[str] | None = Field(
        None, min_length=1, description="ids of the targets to remove (default: all)"
    )


class RuleTarget(BaseModel):
    """One rule target, every field kept as EventBridge returns it."""

    model_config = ConfigDict(extra="allow")

    Id: str
    Arn: str

    def definition(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class RuleTargets(BaseModel):
    targets: list[RuleTarget]


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@FAULTS.register("chaosrun.faults.events.remove_target")
class RemoveTarget(Fault[RemoveTargetParams, RuleTargets]):
    name = "chaosrun.faults.events.remove_target"
    summary = "Remove targets from EventBridge rules (put back exactly on restore)."
    params_model = RemoveTargetParams
    state_model = RuleTargets
    resource_kind = RULE_KIND
    # RemoveTargets/PutTargets in batches, and each call can fail for some targets only
    # (FailedEntries)
    partial_writes = True
    permissions = (
        *RULE_PERMISSIONS,
        "events:ListTargetsByRule",
        "events:RemoveTargets",
        "events:PutTargets",
        "iam:PassRole",  # putting back targets that carry a RoleArn
    )

    def discover(self) -> list[Target]:
        return discover_rules(self.clients, self.params, self.regions())

    def read(self, target: Target) -> RuleTargets:
        client = events_client(self.clients, target)
        bus, name = rule_ref(target)
        found: list[RuleTarget] = []
        try:
            pages = client.get_paginator("list_targets_by_rule").paginate(
                Rule=name, EventBusName=bus
            )
            for page in pages:
                found.extend(RuleTarget.model_validate(t) for t in page.get("Targets", []))
        except client.exceptions.ResourceNotFoundException as exc:
            raise ResourceGone(str(exc)) from exc
        wanted = self.params.target_ids
        if wanted is not None:
            found = [t for t in found if t.Id in wanted]
        return RuleTargets(targets=sorted(found, key=lambda t: t.Id))

    def plan(self, target: Target, before: RuleTargets) -> RuleTargets:
        return RuleTargets(targets=[])

    def write(self, target: Target, state: RuleTargets, current: RuleTargets) -> None:
        client = events_client(self.clients, target)
        bus, name = rule_ref(target)
        keep = {t.Id for t in state.targets}
        drop = [t.Id for t in current.targets if t.Id not in keep]
        for ids in _chunks(drop, 100):
            self._check(client.remove_targets(Rule=name, EventBusName=bus, Ids=ids), target)
        now = {t.Id: t.definition() for t in current.targets}
        put = [t.definition() for t in state.targets if now.get(t.Id) != t.definition()]
        for batch in _chunks(put, 10):
            self._check(client.put_targets(Rule=name, EventBusName=bus, Targets=batch), target)

    @staticmethod
    def _check(resp: dict[str, Any], target: Target) -> None:
        failed = resp.get("FailedEntries") or []
        if failed:
            first = failed[0]
            raise RuntimeError(
                f"{target}: target {first.get('TargetId')} failed: {first.get('ErrorMessage')}. "
                "Check the target ARN and that the runner may iam:PassRole its RoleArn."
            )
