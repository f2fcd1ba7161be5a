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

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chaosrun.alerts.config import SinkConfig
from chaosrun.journal.model import Verdict


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
    alerts: list[SinkConfig] = Field(default_factory=list)
