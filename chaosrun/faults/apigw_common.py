"""What the API Gateway (REST, v1) faults share: stage targets, their lock tag, patch values.

A stage is addressed as ``arn:aws:apigateway:<region>::/restapis/<api_id>/stages/<stage>`` and
named ``<api_id>/<stage>``. Stages carry their own tags (``GetStage`` returns them), so they are
found by tag without the Resource Groups Tagging API and locked with ``TagResource``.

Usage plans are addressed as ``arn:aws:apigateway:<region>::/usageplans/<id>``. They are not
locked by tag: moto (and so the sandbox) cannot tag usage plans, so the local ledger guards them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator

from chaosrun.aws.clients import AwsClients
from chaosrun.aws.locks import TagAdapter, register_adapter
from chaosrun.faults.base import Target, TargetedParams

STAGE_KIND = "apigateway:stage"
USAGE_PLAN_KIND = "apigateway:usageplan"

#: permissions every stage fault needs besides its own (discovery and the lock tag)
STAGE_PERMISSIONS = (
    "apigateway:GET",  # GetRestApis, GetStages, GetStage
    "apigateway:PATCH",  # UpdateStage
    "apigateway:PUT",  # TagResource
    "apigateway:DELETE",  # UntagResource
)


def stage_arn(region: str, api_id: str, stage: str) -> str:
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"


def parse_stage_arn(arn: str) -> tuple[str, str, str]:
    """``(region, api_id, stage)`` of a stage ARN."""
    parts = arn.split(":", 5)
    path = parts[5].strip("/").split("/") if len(parts) == 6 else []
    if len(path) != 4 or path[0] != "restapis" or path[2] != "stages":
        raise ValueError(
            f"{arn!r} is not an API Gateway stage ARN; expected "
            "arn:aws:apigateway:<region>::/restapis/<api_id>/stages/<stage>"
        )
    return parts[3], path[1], path[3]


def stage_target(region: str, api_id: str, stage: str) -> Target:
    return Target(
        arn=stage_arn(region, api_id, stage),
        name=f"{api_id}/{stage}",
        region=region,
        kind=STAGE_KIND,
    )


def number(value: float | int) -> str:
    """A patch-operation value: ``100`` rather than ``100.0`` for whole numbers."""
    as_float = float(value)
    return str(int(as_float)) if as_float.is_integer() else str(as_float)


def rest_apis(client: Any) -> list[dict[str, Any]]:
    apis: list[dict[str, Any]] = []
    for page in client.get_paginator("get_rest_apis").paginate():
        apis.extend(page.get("items", []))
    return apis


_API_WITH_NAMES = "names are stage names: give the REST API id or name as api"


class StageParams(TargetedParams):
    """Stages by ``names`` (stage names of ``api``), ``arns`` (stage ARNs) or ``tags``."""

    rules: ClassVar[tuple[str, ...]] = (*TargetedParams.rules, _API_WITH_NAMES)

    api: str | None = Field(
        None, description="REST API id or name; required with names, narrows tags"
    )

    @model_validator(mode="after")
    def _api_with_names(self) -> StageParams:
        if self.names and not self.api:
            raise ValueError(_API_WITH_NAMES)
        return self


def discover_stages(clients: AwsClients, params: StageParams, regions: list[str]) -> list[Target]:
    found: list[Target] = []
    if params.arns:
        for arn in params.arns:
            found.append(stage_target(*parse_stage_arn(arn)))
        return found
    for region in regions:
        client = clients.client("apigateway", region)
        apis = [
            a
            for a in rest_apis(client)
            if params.api is None or params.api in (a.get("id"), a.get("name"))
        ]
        for api in apis:
            stages = client.get_stages(restApiId=api["id"]).get("item", [])
            for stage in stages:
                name = stage["stageName"]
                if params.names and name not in params.names:
                    continue
                tags = stage.get("tags") or {}
                if params.tags and any(tags.get(k) != v for k, v in params.tags.items()):
                    continue
                found.append(stage_target(region, api["id"], name))
    return found


def _stage_tags(client: Any, target: Target) -> dict[str, str]:
    _, api_id, stage = parse_stage_arn(target.arn)
    return dict(client.get_stage(restApiId=api_id, stageName=stage).get("tags") or {})


register_adapter(
    STAGE_KIND,
    TagAdapter(
        _stage_tags,
        lambda c, t, k, v: c.tag_resource(resourceArn=t.arn, tags={k: v}),
        lambda c, t, k: c.untag_resource(resourceArn=t.arn, tagKeys=[k]),
        "apigateway",
    ),
)
