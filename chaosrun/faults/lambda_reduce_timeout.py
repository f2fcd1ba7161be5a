"""Lambda timeout reduction: invocations that run longer than ``timeout`` seconds are cut off.

The snapshot keeps the exact prior timeout; restore writes it back unless someone changed the
timeout in between (then drift is reported and the value is left alone).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chaosrun.faults.base import Fault, Target, TargetedParams
from chaosrun.faults.lambda_common import (
    FUNCTION_KIND,
    LAMBDA_LOCK_PERMISSIONS,
    discover_functions,
    function_configuration,
    update_configuration,
)
from chaosrun.plugins import FAULTS


class ReduceTimeoutParams(TargetedParams):
    timeout: int = Field(ge=1, le=900, description="the function timeout to set, in seconds")


class FunctionTimeout(BaseModel):
    timeout: int = Field(description="function timeout in seconds")


@FAULTS.register("chaosrun.faults.awslambda.reduce_timeout")
class ReduceTimeout(Fault[ReduceTimeoutParams, FunctionTimeout]):
    name = "chaosrun.faults.awslambda.reduce_timeout"
    summary = "Set Lambda functions' timeout (seconds) so long invocations are cut off."
    params_model = ReduceTimeoutParams
    state_model = FunctionTimeout
    resource_kind = FUNCTION_KIND
    permissions = (
        "lambda:UpdateFunctionConfiguration",
        *LAMBDA_LOCK_PERMISSIONS,
    )

    def _client(self, target: Target) -> Any:
        return self.clients.client("lambda", target.region)

    def discover(self) -> list[Target]:
        return discover_functions(self.clients, self.params, self.regions(), self.known_tags)

    def read(self, target: Target) -> FunctionTimeout:
        config = function_configuration(self._client(target), target)
        return FunctionTimeout(timeout=int(config["Timeout"]))

    def plan(self, target: Target, before: FunctionTimeout) -> FunctionTimeout:
        return FunctionTimeout(timeout=self.params.timeout)

    def write(self, target: Target, state: FunctionTimeout, current: FunctionTimeout) -> None:
        update_configuration(self._client(target), target, Timeout=state.timeout)
