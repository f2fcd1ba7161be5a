"""API Gateway stage throttling through the stage's ``*/*`` method setting.

``UpdateStage`` with ``replace /*/*/throttling/rateLimit`` and ``.../burstLimit`` sets the
default throttle of every method of the stage; clients over the limit get HTTP 429. The state is
the ``*/*`` entry of ``methodSettings``: absent (no setting at all) or its rate and burst limits.
Restore writes the prior limits back, or removes the entry (``remove /*/*``) when there was none.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from chaosrun.faults.apigw_common import (
    STAGE_KIND,
    STAGE_PERMISSIONS,
    StageParams,
    discover_stages,
    number,
    parse_stage_arn,
)
from chaosrun.faults.base import Fault, Params, ResourceGone, Target
from chaosrun.plugins import FAULTS


class ThrottleStageParams(StageParams):
    rate_limit: float = Field(0, ge=0, description="steady-state requests per second")
    burst_limit: int = Field(0, ge=0, description="burst bucket size")


class MethodThrottle(BaseModel):
    """Throttling of one ``methodSettings`` entry; ``present=False`` means no entry at all."""

    present: bool
    rate_limit: float | None = None
    burst_limit: int | None = None


@FAULTS.register("chaosrun.faults.apigateway.throttle_stage")
class ThrottleStage(Fault[ThrottleStageParams, MethodThrottle]):
    name = "chaosrun.faults.apigateway.throttle_stage"
    summary = "Throttle every method of REST API stages (rate/burst of the */* method setting)."
    params_model: ClassVar[type[Params]] = ThrottleStageParams
    state_model = MethodThrottle
    resource_kind = STAGE_KIND
    permissions = STAGE_PERMISSIONS

    def setting_key(self) -> str:
        """The ``methodSettings`` key (and patch path prefix) this fault changes."""
        return "*/*"

    def _client(self, target: Target) -> Any:
        return self.clients.client("apigateway", target.region)

    def discover(self) -> list[Target]:
        return discover_stages(self.clients, self.params, self.regions())

    def read(self, target: Target) -> MethodThrottle:
        client = self._client(target)
        _, api_id, stage = parse_stage_arn(target.arn)
        try:
            resp = client.get_stage(restApiId=api_id, stageName=stage)
        except client.exceptions.NotFoundException as exc:
            raise ResourceGone(str(exc)) from exc
        setting = (resp.get("methodSettings") or {}).get(self.setting_key())
        if setting is None:
            return MethodThrottle(present=False)
        return MethodThrottle(
            present=True,
            rate_limit=setting.get("throttlingRateLimit"),
            burst_limit=setting.get("throttlingBurstLimit"),
        )

    def plan(self, target: Target, before: MethodThrottle) -> MethodThrottle:
        p = self.params
        return MethodThrottle(present=True, rate_limit=p.rate_limit, burst_limit=p.burst_limit)

    def write(self, target: Target, state: MethodThrottle, current: MethodThrottle) -> None:
        key = self.setting_key()
        if not state.present:
            ops = [{"op": "remove", "path": f"/{key}"}]
        else:
            ops = [
                {"op": "replace", "path": f"/{key}/throttling/{field}", "value": number(value)}
                for field, value in (
                    ("rateLimit", state.rate_limit),
                    ("burstLimit", state.burst_limit),
                )
                if value is not None
            ]
        _, api_id, stage = parse_stage_arn(target.arn)
        self._client(target).update_stage(restApiId=api_id, stageName=stage, patchOperations=ops)
