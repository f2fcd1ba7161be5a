"""Our extensions to the Chaos Toolkit format, all under one top-level ``chaosrun:`` key.

Plain ``chaos run`` ignores that key, so an experiment using it still runs there. Activity-level
``timeout`` (seconds) is Chaos Toolkit's own key; chaosrun enforces it for every provider.

.. code-block:: yaml

    chaosrun:
      monitoring: {interval: 0.5}          # re-check the hypothesis every 0.5 s during the method
      safety:
        allowed_account_ids: ["123456789012"]
        allowed_regions: [us-east-1, eu-west-1]
        max_targets: 10
        dry_run: false
      aws: {profile: game-day, region: us-east-1}
      expect: deviated                     # the documented verdict (catalogue tests check it)
"""

# Annotations stay eager (no `from __future__ import annotations`): pydantic would compile
# and evaluate every string annotation at import, ~5 ms of each run's start-up.
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    SerializationInfo,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from chaosrun.factories import empty_list
from chaosrun.journal.model import Verdict

if TYPE_CHECKING:
    from chaosrun.alerts.config import SinkConfig


class _LazySinks:
    """The ``alerts:`` list, validated by :func:`chaosrun.alerts.config.sinks_adapter`: the
    alerts package is imported, and the sink models' schemas built, only for an experiment that
    lists sinks. Errors keep their locations (``chaosrun.alerts[0].slack.webhook_url``)."""

    @staticmethod
    def validate(value: Any) -> "list[SinkConfig]":
        if isinstance(value, list) and not value:
            return []
        from chaosrun.alerts.config import sinks_adapter

        return sinks_adapter().validate_python(value)

    @staticmethod
    def dump(value: "list[SinkConfig]", info: SerializationInfo) -> Any:
        from chaosrun.alerts.config import sinks_adapter

        return sinks_adapter().dump_python(
            value,
            mode="json" if info.mode_is_json() else "python",
            by_alias=bool(info.by_alias),
            exclude_unset=info.exclude_unset,
            exclude_defaults=info.exclude_defaults,
            exclude_none=info.exclude_none,
        )

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                self.dump, info_arg=True
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        from chaosrun.alerts.config import sinks_adapter

        return handler(sinks_adapter().core_schema)


if TYPE_CHECKING:
    Sinks = list[SinkConfig]
else:
    Sinks = Annotated[list[Any], _LazySinks()]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Monitoring(_Strict):
    interval: float | None = Field(
        default=None, gt=0, description="seconds between steady-state checks during the method"
    )
    fail_fast: bool = Field(
        default=True, description="stop the method and restore at the first deviation during it"
    )


class Safety(_Strict):
    allowed_account_ids: list[str] | None = Field(
        default=None, description="refuse to run unless the caller's account is listed"
    )
    allowed_regions: list[str] | None = Field(
        default=None, description="refuse faults outside these"
    )
    max_targets: int | None = Field(default=None, ge=1, description="refuse faults selecting more")
    dry_run: bool = Field(
        default=False, description="resolve targets and print changes; change nothing"
    )


class AwsTarget(_Strict):
    profile: str | None = None
    region: str | None = None


class ChaosrunSettings(_Strict):
    monitoring: Monitoring = Field(default_factory=Monitoring)
    safety: Safety = Field(default_factory=Safety)
    aws: AwsTarget = Field(default_factory=AwsTarget)
    expect: Verdict | None = Field(default=None, description="documented expected verdict")
    #: alert sinks; the schema lives in chaosrun.alerts.config (secrets only as references)
    alerts: Sinks = Field(default_factory=empty_list)
