"""API Gateway usage plan throttling (the plan's ``throttle`` rate and burst limits).

Every API key in the plan is throttled to the plan's limits. The state is the plan's throttle:
``rate_limit``/``burst_limit``, both ``None`` when the plan has no throttle. Restore puts the
exact prior limits back, or removes the throttle (``remove /throttle``) when there was none.

Usage plans are selected by ``names``, ``arns`` (``arn:aws:apigateway:<region>::/usageplans/<id>``)
or ``tags``. They are locked through the local ledger only: moto, and so the sandbox, cannot tag
usage plans.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chaosrun.faults.apigw_common import USAGE_PLAN_KIND, number
from chaosrun.faults.base import Fault, ResourceGone, Target, TargetedParams
from chaosrun.plugins import FAULTS


class ThrottleUsagePlanParams(TargetedParams):
    rate_limit: float = Field(0, ge=0, description="steady-state requests per second per key")
    burst_limit: int = Field(0, ge=0, description="burst bucket size per key")


class PlanThrottle(BaseModel):
    """A usage plan's throttle; both ``None`` means the plan has no throttle."""

    rate_limit: float | None = None
    burst_limit: int | None = None


def usage_plan_arn(region: str, plan_id: str) -> str:
    return f"arn:aws:apigateway:{region}::/usageplans/{plan_id}"


def _plan_id(target: Target) -> str:
    return target.arn.rstrip("/").rsplit("/", 1)[1]


_FIELDS = (("rate_limit", "rateLimit"), ("burst_limit", "burstLimit"))


@FAULTS.register("chaosrun.faults.apigateway.throttle_usage_plan")
class ThrottleUsagePlan(Fault[ThrottleUsagePlanParams, PlanThrottle]):
    name = "chaosrun.faults.apigateway.throttle_usage_plan"
    summary = "Throttle API Gateway usage plans (rate/burst per API key)."
    params_model = ThrottleUsagePlanParams
    state_model = PlanThrottle
    resource_kind = USAGE_PLAN_KIND
    permissions = ("apigateway:GET", "apigateway:PATCH")

    def _client(self, target: Target) -> Any:
        return self.clients.client("apigateway", target.region)

    def discover(self) -> list[Target]:
        p = self.params
        found: list[Target] = []
        if p.arns:
            for arn in p.arns:
                if ":/usageplans/" not in arn:
                    raise ValueError(
                        f"{arn!r} is not a usage plan ARN; expected "
                        "arn:aws:apigateway:<region>::/usageplans/<id>"
                    )
                region = arn.split(":")[3]
                plan_id = arn.rstrip("/").rsplit("/", 1)[1]
                found.append(self._target(region, plan_id, plan_id))
            return found
        for region in self.regions():
            client = self.clients.client("apigateway", region)
            for page in client.get_paginator("get_usage_plans").paginate():
                for plan in page.get("items", []):
                    tags = plan.get("tags") or {}
                    if p.names and plan.get("name") not in p.names:
                        continue
                    if p.tags and any(tags.get(k) != v for k, v in p.tags.items()):
                        continue
                    found.append(self._target(region, plan["id"], plan.get("name") or plan["id"]))
        return found

    def _target(self, region: str, plan_id: str, name: str) -> Target:
        return Target(
            arn=usage_plan_arn(region, plan_id), name=name, region=region, kind=USAGE_PLAN_KIND
        )

    def read(self, target: Target) -> PlanThrottle:
        client = self._client(target)
        try:
            plan = client.get_usage_plan(usagePlanId=_plan_id(target))
        except client.exceptions.NotFoundException as exc:
            raise ResourceGone(str(exc)) from exc
        throttle = plan.get("throttle") or {}
        return PlanThrottle(
            rate_limit=throttle.get("rateLimit"), burst_limit=throttle.get("burstLimit")
        )

    def plan(self, target: Target, before: PlanThrottle) -> PlanThrottle:
        return PlanThrottle(rate_limit=self.params.rate_limit, burst_limit=self.params.burst_limit)

    def write(self, target: Target, state: PlanThrottle, current: PlanThrottle) -> None:
        ops: list[dict[str, str]] = []
        dropped = any(
            getattr(state, f) is None and getattr(current, f) is not None for f, _ in _FIELDS
        )
        if dropped:
            # a single limit cannot be removed: drop the throttle, then add what stays
            ops.append({"op": "remove", "path": "/throttle"})
        for field, key in _FIELDS:
            value = getattr(state, field)
            if value is None:
                continue
            op = "replace" if getattr(current, field) is not None and not dropped else "add"
            ops.append({"op": op, "path": f"/throttle/{key}", "value": number(value)})
        if ops:
            self._client(target).update_usage_plan(
                usagePlanId=_plan_id(target), patchOperations=ops
            )
