"""Force Route 53 DNS failover by inverting health checks.

An inverted health check reports unhealthy while its endpoint is healthy, so failover and
weighted/latency records that use it stop answering with the primary and DNS fails over,
exactly as when the primary region goes down. Select the primary region's health checks by
``ids`` or ``tags``. The state is the check's ``Inverted`` flag; restore writes back the exact
prior value. ``Disabled`` is not touched: a disabled check stays healthy whatever its inversion.

Health checks are global; their targets carry the configured region only for the client.
They are locked with the ``chaosrun:lock`` tag (``ChangeTagsForResource``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from chaosrun.aws.locks import TagAdapter, register_adapter
from chaosrun.errors import NoTargets
from chaosrun.faults.base import Fault, Params, ResourceGone, Target
from chaosrun.plugins import FAULTS

HEALTH_CHECK_KIND = "route53:healthcheck"


class HealthCheckParams(Params):
    """Health checks by ``ids`` or ``tags`` (exactly one), then optional count/percent."""

    ids: list[str] | None = Field(None, description="health check ids")
    tags: dict[str, str] | None = Field(None, description="select health checks with all tags")
    count: int | None = Field(None, ge=1, description="pick this many at random")
    percent: float | None = Field(None, gt=0, le=100, description="pick this share at random")
    seed: int | None = Field(None, description="random seed for count/percent (recorded)")

    @model_validator(mode="after")
    def _one_selector(self) -> HealthCheckParams:
        if bool(self.ids) == bool(self.tags):
            raise ValueError("give exactly one of ids or tags to select health checks")
        if self.count is not None and self.percent is not None:
            raise ValueError("give count or percent, not both")
        return self


class Inversion(BaseModel):
    inverted: bool


def health_check_target(check_id: str, region: str) -> Target:
    return Target(
        arn=f"arn:aws:route53:::healthcheck/{check_id}",
        name=check_id,
        region=region,
        kind=HEALTH_CHECK_KIND,
    )


def _check_id(target: Target) -> str:
    return target.arn.rsplit("/", 1)[1]


def _tagged(client: Any, wanted: dict[str, str]) -> list[str]:
    ids: list[str] = []
    for page in client.get_paginator("list_health_checks").paginate():
        ids.extend(c["Id"] for c in page.get("HealthChecks", []))
    matched: list[str] = []
    for i in range(0, len(ids), 10):  # ListTagsForResources takes 10 ids per call
        resp = client.list_tags_for_resources(
            ResourceType="healthcheck", ResourceIds=ids[i : i + 10]
        )
        for tag_set in resp.get("ResourceTagSets", []):
            have = {t["Key"]: t["Value"] for t in tag_set.get("Tags", [])}
            if all(have.get(k) == v for k, v in wanted.items()):
                matched.append(tag_set["ResourceId"])
    return matched


@FAULTS.register("chaosrun.faults.route53.force_failover")
class ForceFailover(Fault[HealthCheckParams, Inversion]):
    name = "chaosrun.faults.route53.force_failover"
    summary = "Force DNS failover away from a region by inverting its Route 53 health checks."
    params_model = HealthCheckParams
    state_model = Inversion
    resource_kind = HEALTH_CHECK_KIND
    permissions = (
        "route53:GetHealthCheck",
        "route53:ListHealthChecks",
        "route53:UpdateHealthCheck",
        "route53:ListTagsForResource",
        "route53:ListTagsForResources",
        "route53:ChangeTagsForResource",
    )

    def _client(self) -> Any:
        return self.clients.client("route53")

    def discover(self) -> list[Target]:
        client = self._client()
        region = self.clients.default_region
        if self.params.tags:
            return [health_check_target(i, region) for i in _tagged(client, self.params.tags)]
        for check_id in self.params.ids or []:
            try:
                client.get_health_check(HealthCheckId=check_id)
            except client.exceptions.NoSuchHealthCheck:
                raise NoTargets(
                    f"{self.name}: health check {check_id!r} does not exist. "
                    "List them with `aws route53 list-health-checks`."
                ) from None
        return [health_check_target(i, region) for i in self.params.ids or []]

    def read(self, target: Target) -> Inversion:
        client = self._client()
        try:
            check = client.get_health_check(HealthCheckId=_check_id(target))["HealthCheck"]
        except client.exceptions.NoSuchHealthCheck as exc:
            raise ResourceGone(str(exc)) from exc
        return Inversion(inverted=bool(check["HealthCheckConfig"].get("Inverted", False)))

    def plan(self, target: Target, before: Inversion) -> Inversion:
        return Inversion(inverted=True)

    def write(self, target: Target, state: Inversion, current: Inversion) -> None:
        self._client().update_health_check(HealthCheckId=_check_id(target), Inverted=state.inverted)


def _tags(c: Any, t: Target) -> dict[str, str]:
    resp = c.list_tags_for_resource(ResourceType="healthcheck", ResourceId=_check_id(t))
    return {x["Key"]: x["Value"] for x in resp["ResourceTagSet"].get("Tags", [])}


register_adapter(
    HEALTH_CHECK_KIND,
    TagAdapter(
        _tags,
        lambda c, t, k, v: c.change_tags_for_resource(
            ResourceType="healthcheck", ResourceId=_check_id(t), AddTags=[{"Key": k, "Value": v}]
        ),
        lambda c, t, k: c.change_tags_for_resource(
            ResourceType="healthcheck", ResourceId=_check_id(t), RemoveTagKeys=[k]
        ),
        "route53",
    ),
)
