"""Disable Lambda event source mappings (SQS, Kinesis, DynamoDB streams, Kafka, MQ ...).

Each mapping is one target (kind ``lambda:event-source-mapping``), selected by the functions it
feeds (``names``, ``arns`` or ``tags`` of functions) or directly by mapping ``uuids``. The state
is only whether the mapping is enabled, so restore re-enables exactly the mappings that were
enabled; a mapping that was already disabled is left disabled. While disabled, records queue up
in the source and are processed after restore.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field, model_validator

from chaosrun.aws.locks import ADAPTERS, TagAdapter, register_adapter
from chaosrun.faults.base import COUNT_OR_PERCENT, Fault, ResourceGone, Target, TargetedParams
from chaosrun.faults.lambda_common import LAMBDA_LOCK_PERMISSIONS, discover_functions
from chaosrun.plugins import FAULTS

MAPPING_KIND = "lambda:event-source-mapping"

# Event source mappings take Lambda's TagResource/ListTags by ARN, like functions.
_fn = ADAPTERS["lambda:function"]
register_adapter(MAPPING_KIND, TagAdapter(_fn.get, _fn.put, _fn.delete, "lambda"))

#: mapping states that mean "enabled, or about to be" (the others are Disabled/Disabling)
_ENABLED_STATES = {"Enabled", "Enabling", "Creating", "Updating"}


_ONE_SELECTOR = "give exactly one of names, arns or tags (of functions) or uuids (of mappings)"


class DisableEventSourceParams(TargetedParams):
    rules: ClassVar[tuple[str, ...]] = (
        _ONE_SELECTOR,
        COUNT_OR_PERCENT,
    )  # replaces TargetedParams' selector rule

    uuids: list[str] | None = Field(default=None, description="event source mapping UUIDs")
    event_source_arns: list[str] | None = Field(
        None, description="only mappings reading from these sources (queue, stream, table ARNs)"
    )

    @model_validator(mode="after")
    def _one_selector(self) -> DisableEventSourceParams:  # replaces TargetedParams' check
        given = [k for k in ("names", "arns", "tags", "uuids") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(_ONE_SELECTOR)
        if self.count is not None and self.percent is not None:
            raise ValueError(COUNT_OR_PERCENT)
        return self


class MappingEnabled(BaseModel):
    enabled: bool = Field(description="whether the mapping polls its source")


@FAULTS.register("chaosrun.faults.awslambda.disable_event_source")
class DisableEventSource(Fault[DisableEventSourceParams, MappingEnabled]):
    name = "chaosrun.faults.awslambda.disable_event_source"
    summary = "Disable Lambda event source mappings so queued or streamed records stop flowing."
    params_model = DisableEventSourceParams
    state_model = MappingEnabled
    resource_kind = MAPPING_KIND
    permissions = (
        "lambda:ListEventSourceMappings",
        "lambda:GetEventSourceMapping",
        "lambda:UpdateEventSourceMapping",
        *LAMBDA_LOCK_PERMISSIONS,
    )

    def _client(self, target: Target) -> Any:
        return self.clients.client("lambda", target.region)

    def discover(self) -> list[Target]:
        p = self.params
        mappings: list[tuple[dict[str, Any], str]] = []
        if p.uuids:
            for region in self.regions():
                client = self.clients.client("lambda", region)
                for uuid in p.uuids:
                    try:
                        mappings.append((client.get_event_source_mapping(UUID=uuid), region))
                    except client.exceptions.ResourceNotFoundException:
                        continue
        else:
            for fn in discover_functions(self.clients, p, self.regions()):
                paginator = self.clients.client("lambda", fn.region).get_paginator(
                    "list_event_source_mappings"
                )
                for page in paginator.paginate(FunctionName=fn.name):
                    mappings.extend((m, fn.region) for m in page["EventSourceMappings"])
        if p.event_source_arns:
            wanted = set(p.event_source_arns)
            mappings = [(m, r) for m, r in mappings if m.get("EventSourceArn") in wanted]
        return [
            Target(
                arn=m.get("EventSourceMappingArn") or m["UUID"],
                name=m["UUID"],
                region=region,
                kind=MAPPING_KIND,
            )
            for m, region in mappings
        ]

    def read(self, target: Target) -> MappingEnabled:
        client = self._client(target)
        try:
            mapping = client.get_event_source_mapping(UUID=target.name)
        except client.exceptions.ResourceNotFoundException as exc:
            raise ResourceGone(str(exc)) from exc
        if mapping.get("State") == "Deleting":
            raise ResourceGone(f"event source mapping {target.name} is being deleted")
        return MappingEnabled(enabled=mapping.get("State") in _ENABLED_STATES)

    def plan(self, target: Target, before: MappingEnabled) -> MappingEnabled:
        return MappingEnabled(enabled=False)

    def write(self, target: Target, state: MappingEnabled, current: MappingEnabled) -> None:
        self._client(target).update_event_source_mapping(UUID=target.name, Enabled=state.enabled)
