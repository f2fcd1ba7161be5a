"""failure-lambda compatible failure injection: latency, exceptions, status codes, denylists.

The function runs failure-lambda (the npm wrapper or the Lambda layer), which reads its
configuration from the SSM parameter named by the function's ``FAILURE_INJECTION_PARAM``
environment variable. This fault writes that parameter (``parameter_name`` overrides the
variable; the parameter is created if absent and deleted again on restore). The value is written
in the format the parameter already uses (0.x or 1.x), or ``format`` when given.

Optionally it also prepares the function: ``attach_layer`` appends the failure-lambda layer
version and ``set_environment`` sets variables such as ``AWS_LAMBDA_EXEC_WRAPPER`` and
``FAILURE_INJECTION_PARAM``. Restore touches only those: other layers and variables stay as they
are, a layer that was absent is removed, a variable that was absent is removed.

The state is the parameter value (or its absence) plus, when asked for, the layer's membership and
the listed variables. Someone editing any of them during the run means drift: reported, not
overwritten.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from chaosrun.errors import InvalidParameters
from chaosrun.faults.base import Fault, Target, TargetedParams
from chaosrun.faults.failure_lambda_config import (
    PARAM_ENV,
    DenylistFailure,
    ExceptionFailure,
    FailureConfig,
    LatencyFailure,
    StatusCodeFailure,
)
from chaosrun.faults.lambda_common import (
    FUNCTION_KIND,
    LAMBDA_LOCK_PERMISSIONS,
    discover_functions,
    function_configuration,
    update_configuration,
)
from chaosrun.plugins import FAULTS

_LATENCY_NEEDS_MAX = "mode latency needs max_latency_ms (and optionally min_latency_ms)"
_MIN_NOT_ABOVE_MAX = "min_latency_ms must not exceed max_latency_ms"
_DENYLIST_NEEDS_PATTERNS = "mode denylist needs denylist: [host regexes]"


class InjectFailureParams(TargetedParams):
    rules: ClassVar[tuple[str, ...]] = (
        *TargetedParams.rules,
        _LATENCY_NEEDS_MAX,
        _MIN_NOT_ABOVE_MAX,
        _DENYLIST_NEEDS_PATTERNS,
    )

    mode: Literal["latency", "exception", "statuscode", "denylist"]
    rate: float = Field(default=1.0, gt=0, le=1, description="share of invocations affected, 0..1")
    min_latency_ms: int | None = Field(default=None, ge=0, description="latency: lower bound")
    max_latency_ms: int | None = Field(default=None, ge=0, description="latency: upper bound")
    exception_message: str = Field(default="Injected by chaosrun", description="exception: message")
    status_code: int = Field(default=500, ge=100, le=599, description="statuscode: HTTP status")
    denylist: list[str] | None = Field(default=None, description="denylist: host regexes to block")
    parameter_name: str | None = Field(
        None, description=f"SSM parameter (default: the function's {PARAM_ENV})"
    )
    format: Literal["0.x", "1.x"] | None = Field(
        None, description="failure-lambda format (default: the parameter's, else 1.x)"
    )
    attach_layer: str | None = Field(default=None, description="layer version ARN to add")
    set_environment: dict[str, str] | None = Field(
        None, description="environment variables to set, e.g. AWS_LAMBDA_EXEC_WRAPPER"
    )

    @model_validator(mode="after")
    def _mode_arguments(self) -> InjectFailureParams:
        if self.mode == "latency":
            if self.max_latency_ms is None:
                raise ValueError(_LATENCY_NEEDS_MAX)
            if (self.min_latency_ms or 0) > self.max_latency_ms:
                raise ValueError(_MIN_NOT_ABOVE_MAX)
        if self.mode == "denylist" and not self.denylist:
            raise ValueError(_DENYLIST_NEEDS_PATTERNS)
        if self.attach_layer is not None and ":layer:" not in self.attach_layer:
            raise ValueError("attach_layer must be a layer version ARN (arn:aws:lambda:...:layer:)")
        return self

    def failure_config(self) -> FailureConfig:
        section: dict[str, Any] = {}
        if self.mode == "latency":
            lo = self.min_latency_ms if self.min_latency_ms is not None else self.max_latency_ms
            section["latency"] = LatencyFailure(
                rate=self.rate, min_ms=lo, max_ms=self.max_latency_ms
            )
        elif self.mode == "exception":
            section["exception"] = ExceptionFailure(rate=self.rate, message=self.exception_message)
        elif self.mode == "statuscode":
            section["statuscode"] = StatusCodeFailure(rate=self.rate, status_code=self.status_code)
        else:
            section["denylist"] = DenylistFailure(
                rate=self.rate, patterns=list(self.denylist or [])
            )
        return FailureConfig(enabled=True, **section)


class ParameterValue(BaseModel):
    value: str
    type: str = Field(default="String", description="String or SecureString")


class FailureInjection(BaseModel):
    parameter_name: str
    parameter: ParameterValue | None = Field(description="None: the parameter does not exist")
    layers: dict[str, bool] = Field(
        default_factory=dict, description="layer version ARN -> attached (only attach_layer)"
    )
    environment: dict[str, str | None] = Field(
        default_factory=dict, description="listed variables -> value, None if unset"
    )


@FAULTS.register("chaosrun.faults.awslambda.inject_failure")
class InjectFailure(Fault[InjectFailureParams, FailureInjection]):
    name = "chaosrun.faults.awslambda.inject_failure"
    summary = (
        "Inject latency, exceptions, status codes or blocked hosts into Lambda functions through "
        "failure-lambda's SSM parameter (optionally adding its layer and variables)."
    )
    params_model = InjectFailureParams
    state_model = FailureInjection
    resource_kind = FUNCTION_KIND
    # UpdateFunctionConfiguration (layer, variables), then PutParameter/DeleteParameter
    partial_writes = True
    permissions = (
        "ssm:GetParameter",
        "ssm:PutParameter",
        "ssm:DeleteParameter",
        "kms:Decrypt",
        "lambda:UpdateFunctionConfiguration",
        "lambda:GetLayerVersion",
        *LAMBDA_LOCK_PERMISSIONS,
    )

    def _lambda(self, target: Target) -> Any:
        return self.clients.client("lambda", target.region)

    def _ssm(self, target: Target) -> Any:
        return self.clients.client("ssm", target.region)

    def discover(self) -> list[Target]:
        targets = discover_functions(self.clients, self.params, self.regions(), self.known_tags)
        for target in targets:
            self._parameter_name(function_configuration(self._lambda(target), target), target)
        return targets

    def _parameter_name(self, config: dict[str, Any], target: Target) -> str:
        p = self.params
        env = config.get("Environment", {}).get("Variables", {})
        name = p.parameter_name or (p.set_environment or {}).get(PARAM_ENV) or env.get(PARAM_ENV)
        if not name:
            raise InvalidParameters(
                f"{target} has no {PARAM_ENV} environment variable: give parameter_name, or "
                f"set_environment: {{{PARAM_ENV}: <parameter>}} to set it for the run"
            )
        return str(name)

    def read(self, target: Target) -> FailureInjection:
        config = function_configuration(self._lambda(target), target)
        name = self._parameter_name(config, target)
        ssm = self._ssm(target)
        try:
            param = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
            value: ParameterValue | None = ParameterValue(value=param["Value"], type=param["Type"])
        except ssm.exceptions.ParameterNotFound:
            value = None
        layers = [layer["Arn"] for layer in config.get("Layers", [])]
        env = config.get("Environment", {}).get("Variables", {})
        return FailureInjection(
            parameter_name=name,
            parameter=value,
            layers={self.params.attach_layer: self.params.attach_layer in layers}
            if self.params.attach_layer
            else {},
            environment={k: env.get(k) for k in self.params.set_environment or {}},
        )

    def plan(self, target: Target, before: FailureInjection) -> FailureInjection:
        fmt = self.params.format
        if fmt is None:
            fmt = "1.x"
            if before.parameter is not None:
                # not a failure-lambda configuration yet: write the current format
                with contextlib.suppress(ValueError):
                    fmt = FailureConfig.parse(before.parameter.value).source_format
        value = self.params.failure_config().to_json(fmt)
        kind = before.parameter.type if before.parameter else "String"
        return FailureInjection(
            parameter_name=before.parameter_name,
            parameter=ParameterValue(value=value, type=kind),
            layers={arn: True for arn in before.layers},
            environment=dict(self.params.set_environment or {}),
        )

    def write(self, target: Target, state: FailureInjection, current: FailureInjection) -> None:
        # The function first: on inject the wrapper is in place before the parameter turns
        # failures on; on restore the wrapper is gone before the parameter is removed.
        if state.layers != current.layers or state.environment != current.environment:
            self._write_function(target, state)
        if state.parameter != current.parameter:
            ssm = self._ssm(target)
            if state.parameter is None:
                # shared by several targets and already deleted: fine
                with contextlib.suppress(ssm.exceptions.ParameterNotFound):
                    ssm.delete_parameter(Name=state.parameter_name)
            else:
                ssm.put_parameter(
                    Name=state.parameter_name,
                    Value=state.parameter.value,
                    Type=state.parameter.type,
                    Overwrite=True,
                )

    def _write_function(self, target: Target, state: FailureInjection) -> None:
        client = self._lambda(target)
        config = function_configuration(client, target)
        layers = [layer["Arn"] for layer in config.get("Layers", [])]
        for arn, attached in state.layers.items():
            if attached and arn not in layers:
                layers.append(arn)
            elif not attached:
                layers = [a for a in layers if a != arn]
        env = dict(config.get("Environment", {}).get("Variables", {}))
        for key, value in state.environment.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        update_configuration(client, target, Layers=layers, Environment={"Variables": env})
