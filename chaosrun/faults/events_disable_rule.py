"""Disable EventBridge rules: no event matches them until restore.

The state is the rule's ``State``. Restore puts back exactly the prior one: a rule that was
already ``DISABLED`` stays disabled, ``ENABLED`` is re-enabled with ``EnableRule``, and
``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`` (which ``EnableRule`` cannot set) is written
back with ``PutRule`` carrying the rule's unchanged definition.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

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

_DEFINITION = ("EventPattern", "ScheduleExpression", "Description", "RoleArn")


class RuleState(BaseModel):
    state: str


@FAULTS.register("chaosrun.faults.events.disable_rule")
class DisableRule(Fault[RuleParams, RuleState]):
    name = "chaosrun.faults.events.disable_rule"
    summary = "Disable EventBridge rules (restored to their exact prior state)."
    params_model = RuleParams
    state_model = RuleState
    resource_kind = RULE_KIND
    permissions = (*RULE_PERMISSIONS, "events:DisableRule", "events:EnableRule", "events:PutRule")

    def discover(self) -> list[Target]:
        return discover_rules(self.clients, self.params, self.regions())

    def _describe(self, target: Target) -> dict[str, Any]:
        client = events_client(self.clients, target)
        bus, name = rule_ref(target)
        try:
            return dict(client.describe_rule(Name=name, EventBusName=bus))
        except client.exceptions.ResourceNotFoundException as exc:
            raise ResourceGone(str(exc)) from exc

    def read(self, target: Target) -> RuleState:
        return RuleState(state=self._describe(target)["State"])

    def plan(self, target: Target, before: RuleState) -> RuleState:
        return RuleState(state="DISABLED")

    def write(self, target: Target, state: RuleState, current: RuleState) -> None:
        client = events_client(self.clients, target)
        bus, name = rule_ref(target)
        if state.state == "DISABLED":
            client.disable_rule(Name=name, EventBusName=bus)
        elif state.state == "ENABLED":
            client.enable_rule(Name=name, EventBusName=bus)
        else:
            rule = self._describe(target)
            definition = {k: rule[k] for k in _DEFINITION if rule.get(k)}
            client.put_rule(Name=name, EventBusName=bus, State=state.state, **definition)
