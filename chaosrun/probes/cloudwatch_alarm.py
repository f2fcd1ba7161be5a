"""State of one or more CloudWatch alarms."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field, model_validator

from chaosrun.faults.base import Params
from chaosrun.plugins import PROBES
from chaosrun.probes.base import Probe, ProbeOutput

#: worst first: the overall ``state`` is the worst of the alarms'
SEVERITY = ("ALARM", "INSUFFICIENT_DATA", "OK")


_ONE_SELECTOR = "give exactly one of alarm_names or alarm_name_prefix"


class AlarmStateParams(Params):
    rules: ClassVar[tuple[str, ...]] = (_ONE_SELECTOR,)

    alarm_names: list[str] | None = Field(None, description="alarm names")
    alarm_name_prefix: str | None = Field(None, description="or: every alarm with this prefix")
    region: str | None = None

    @model_validator(mode="after")
    def _one(self) -> AlarmStateParams:
        if bool(self.alarm_names) == bool(self.alarm_name_prefix):
            raise ValueError(_ONE_SELECTOR)
        return self


class AlarmInfo(Params):
    name: str
    state: str
    reason: str = ""
    updated: datetime | None = None
    composite: bool = False


class AlarmStateOutput(ProbeOutput):
    state: str | None = Field(description="worst state (ALARM > INSUFFICIENT_DATA > OK)")
    all_ok: bool
    states: dict[str, str]
    in_alarm: list[str]
    alarms: list[AlarmInfo]
    missing: list[str] = Field(default_factory=list, description="named alarms that don't exist")


@PROBES.register("chaosrun.probes.cloudwatch.alarm_state")
class AlarmState(Probe[AlarmStateParams, AlarmStateOutput]):
    name = "chaosrun.probes.cloudwatch.alarm_state"
    summary = "State value and reason of CloudWatch alarms (metric and composite)."
    params_model = AlarmStateParams
    output_model = AlarmStateOutput
    permissions = ("cloudwatch:DescribeAlarms",)

    def run(self) -> AlarmStateOutput:
        p: AlarmStateParams = self.params
        client = self.clients.client("cloudwatch", p.region)
        kwargs: dict[str, object] = {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
        if p.alarm_names:
            kwargs["AlarmNames"] = p.alarm_names
        else:
            kwargs["AlarmNamePrefix"] = p.alarm_name_prefix
        alarms: list[AlarmInfo] = []
        for page in client.get_paginator("describe_alarms").paginate(**kwargs):
            for kind, composite in (("MetricAlarms", False), ("CompositeAlarms", True)):
                for a in page.get(kind, []):
                    alarms.append(
                        AlarmInfo(
                            name=a["AlarmName"],
                            state=a["StateValue"],
                            reason=a.get("StateReason", ""),
                            updated=a.get("StateUpdatedTimestamp"),
                            composite=composite,
                        )
                    )
        states = {a.name: a.state for a in alarms}
        worst = next((s for s in SEVERITY if s in states.values()), None)
        missing = [n for n in p.alarm_names or [] if n not in states]
        return AlarmStateOutput(
            state=worst,
            all_ok=bool(alarms) and not missing and all(s == "OK" for s in states.values()),
            states=states,
            in_alarm=sorted(n for n, s in states.items() if s == "ALARM"),
            alarms=alarms,
            missing=missing,
        )
