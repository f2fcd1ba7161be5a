"""Lambda throttling through reserved concurrency.

Reserved concurrency 0 rejects every invocation with ``TooManyRequestsException`` (HTTP 429);
N caps concurrent executions at N. The snapshot keeps the exact prior setting, including "none",
so restore deletes the setting when there was none and puts back 50 when it was 50. Reads go
through ``GetFunction`` (see :func:`~chaosrun.faults.lambda_common.reserved_concurrency`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chaosrun.faults.base import Fault, Target, TargetedParams
from chaosrun.faults.lambda_common import (
    FUNCTION_KIND,
    LAMBDA_LOCK_PERMISSIONS,
    discover_functions,
    get_function,
    reserved_concurrency,
)
from chaosrun.plugins import FAULTS


class ThrottleParams(TargetedParams):
    reserved_concurrency: int = Field(
        0, ge=0, description="0 throttles every invocation; N caps concurrent executions at N"
    )


class ReservedConcurrency(BaseModel):
    reserved_concurrency: int | None = Field(description="None means no reserved concurrency")


@FAULTS.register("chaosrun.faults.awslambda.throttle")
class Throttle(Fault[ThrottleParams, ReservedConcurrency]):
    name = "chaosrun.faults.awslambda.throttle"
    summary = "Throttle Lambda functions by setting their reserved concurrency (0 = all calls)."
    params_model = ThrottleParams
    state_model = ReservedConcurrency
    resource_kind = FUNCTION_KIND
    permissions = (  # reads: lambda:GetFunction, in LAMBDA_LOCK_PERMISSIONS
        "lambda:PutFunctionConcurrency",
        "lambda:DeleteFunctionConcurrency",
        *LAMBDA_LOCK_PERMISSIONS,
    )

    def _client(self, target: Target) -> Any:
        return self.clients.client("lambda", target.region)

    def discover(self) -> list[Target]:
        return discover_functions(self.clients, self.params, self.regions(), self.known_tags)

    def read(self, target: Target) -> ReservedConcurrency:
        function = get_function(self._client(target), target)
        return ReservedConcurrency(reserved_concurrency=reserved_concurrency(function))

    def plan(self, target: Target, before: ReservedConcurrency) -> ReservedConcurrency:
        return ReservedConcurrency(reserved_concurrency=self.params.reserved_concurrency)

    def write(
        self, target: Target, state: ReservedConcurrency, current: ReservedConcurrency
    ) -> None:
        client = self._client(target)
        if state.reserved_concurrency is None:
            client.delete_function_concurrency(FunctionName=target.arn)
        else:
            client.put_function_concurrency(
                FunctionName=target.arn, ReservedConcurrentExecutions=state.reserved_concurrency
            )
