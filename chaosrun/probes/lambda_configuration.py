"""A Lambda function's configuration as far as chaos cares: concurrency, state, timeout."""

from __future__ import annotations

from pydantic import Field

from chaosrun.faults.base import Params
from chaosrun.faults.lambda_common import reserved_concurrency
from chaosrun.plugins import PROBES
from chaosrun.probes.base import Probe, ProbeOutput


class LambdaConfigurationParams(Params):
    function_name: str = Field(description="name or ARN")
    region: str | None = None
    qualifier: str | None = Field(None, description="version or alias")


class LambdaConfigurationOutput(ProbeOutput):
    function_name: str
    function_arn: str
    reserved_concurrency: int | None = Field(description="None when not set")
    throttled: bool = Field(description="reserved concurrency is 0")
    state: str | None
    state_reason: str | None = None
    last_update_status: str | None
    timeout: int
    memory_size: int | None = None
    runtime: str | None = None
    version: str | None = None


@PROBES.register("chaosrun.probes.awslambda.configuration")
class LambdaConfiguration(Probe[LambdaConfigurationParams, LambdaConfigurationOutput]):
    name = "chaosrun.probes.awslambda.configuration"
    summary = "Reserved concurrency (None if unset), state, timeout and update status."
    params_model = LambdaConfigurationParams
    output_model = LambdaConfigurationOutput
    #: one GetFunction call (its own 100 requests/s quota) instead of GetFunctionConfiguration +
    #: GetFunctionConcurrency, two calls from the 15/s that faults' writes need too
    permissions = ("lambda:GetFunction",)

    def run(self) -> LambdaConfigurationOutput:
        p: LambdaConfigurationParams = self.params
        client = self.clients.client("lambda", p.region)
        kwargs = {"FunctionName": p.function_name}
        if p.qualifier:
            kwargs["Qualifier"] = p.qualifier
        function = client.get_function(**kwargs)
        cfg = function["Configuration"]
        if p.qualifier:  # reserved concurrency belongs to the function, not to a version
            function = client.get_function(FunctionName=p.function_name)
        reserved = reserved_concurrency(function)
        return LambdaConfigurationOutput(
            function_name=cfg["FunctionName"],
            function_arn=cfg["FunctionArn"],
            reserved_concurrency=reserved,
            throttled=reserved == 0,
            state=cfg.get("State"),
            state_reason=cfg.get("StateReason"),
            last_update_status=cfg.get("LastUpdateStatus"),
            timeout=int(cfg.get("Timeout", 3)),
            memory_size=cfg.get("MemorySize"),
            runtime=cfg.get("Runtime"),
            version=cfg.get("Version"),
        )
