"""API Gateway throttling of one method of a stage (``/{resource_path}/{http_method}/...``).

Same state and restore as :mod:`chaosrun.faults.apigw_throttle_stage`, on the method's own
``methodSettings`` entry. The resource path is escaped as API Gateway patch paths require: every
``/`` becomes ``~1`` (``/pets/{id}`` + ``GET`` -> ``~1pets~1{id}/GET``).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from chaosrun.faults.apigw_throttle_stage import ThrottleStage, ThrottleStageParams
from chaosrun.plugins import FAULTS

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY", "*"}


class ThrottleMethodParams(ThrottleStageParams):
    resource_path: str = Field(description="resource path as in the API, e.g. /orders/{id}")
    http_method: str = Field(description="GET, POST, ... (or * for every method of the path)")

    @field_validator("resource_path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("resource_path starts with / (e.g. /orders)")
        return value

    @field_validator("http_method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value.upper() not in HTTP_METHODS:
            raise ValueError(f"http_method must be one of {sorted(HTTP_METHODS)}")
        return value.upper()


def method_setting_key(resource_path: str, http_method: str) -> str:
    """``methodSettings`` key of a method: ``/pets/{id}`` + ``GET`` -> ``~1pets~1{id}/GET``."""
    escaped = resource_path.replace("~", "~0").replace("/", "~1")
    return f"{escaped}/{http_method}"


@FAULTS.register("chaosrun.faults.apigateway.throttle_method")
class ThrottleMethod(ThrottleStage):
    name = "chaosrun.faults.apigateway.throttle_method"
    summary = "Throttle one method of REST API stages (rate/burst of its method setting)."
    params_model = ThrottleMethodParams

    def setting_key(self) -> str:
        p = self.params
        assert isinstance(p, ThrottleMethodParams)
        return method_setting_key(p.resource_path, p.http_method)
