"""Alert sink configuration.

Sinks come from the settings file (``~/.chaosrun/alerts.yaml``, ``$CHAOSRUN_HOME/alerts.yaml`` or
``--alerts FILE``) and from an experiment's ``chaosrun: {alerts: [...]}`` list; both use the
models here. Keys and webhook URLs are **references** -- ``{env: VAR}``, ``{ssm: /param}`` or
``{secretsmanager: id}`` -- resolved only when sending, so journals (which embed the experiment)
never contain a secret. A literal string where a secret is expected is rejected.

.. code-block:: yaml

    report_base_url: https://chaos-reports.example.com/runs
    sinks:
      - type: pagerduty
        routing_key: {env: PD_ROUTING_KEY}
      - type: slack
        webhook_url: {env: SLACK_WEBHOOK_URL}
        events: [restore_failed, aborted]
"""

from __future__ import annotations

import enum
import functools
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from chaosrun.alerts import default_settings_path
from chaosrun.aws.clients import AwsClients
from chaosrun.errors import InvalidInput


class Condition(enum.StrEnum):
    """What an alert is about; one open alert per run and condition."""

    DEVIATION = "deviation"  # the hypothesis deviated
    RESTORE_FAILED = "restore_failed"  # a restore failed or drifted: something may be impaired
    ABORTED = "aborted"  # the run was interrupted or errored
    #: a scheduled run will start soon: chat and event sinks only, never a pager
    ANNOUNCEMENT = "announcement"


class _Strict(BaseModel):
    # schemas are built on first use: a run without alert sinks never builds them
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class SecretRef(_Strict):
    """Where a secret lives. Exactly one of ``env``, ``ssm`` or ``secretsmanager``."""

    env: str | None = Field(None, description="environment variable name")
    ssm: str | None = Field(None, description="SSM SecureString parameter name")
    secretsmanager: str | None = Field(None, description="Secrets Manager secret id or ARN")
    region: str | None = Field(None, description="region of the SSM parameter or secret")

    @model_validator(mode="before")
    @classmethod
    def _no_literals(cls, data: Any) -> Any:
        if isinstance(data, str):
            raise ValueError(
                "secrets may not be written literally; use {env: VAR_NAME}, {ssm: /name} or "
                "{secretsmanager: id}"
            )
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        given = [k for k in ("env", "ssm", "secretsmanager") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of env, ssm or secretsmanager")
        return self

    def describe(self) -> str:
        if self.env:
            return f"env:{self.env}"
        return f"ssm:{self.ssm}" if self.ssm else f"secretsmanager:{self.secretsmanager}"

    def resolve(self, clients: AwsClients | None = None) -> str:
        """The secret's value; raises :class:`InvalidInput` naming what to set."""
        if self.env:
            value = os.environ.get(self.env)
            if not value:
                raise InvalidInput(f"environment variable {self.env} is not set (alert secret)")
            return value
        clients = clients or AwsClients()
        if self.ssm:
            resp = clients.client("ssm", self.region).get_parameter(
                Name=self.ssm, WithDecryption=True
            )
            return str(resp["Parameter"]["Value"])
        resp = clients.client("secretsmanager", self.region).get_secret_value(
            SecretId=self.secretsmanager
        )
        return str(resp["SecretString"])


class Retry(_Strict):
    """Delivery retries: exponential backoff on 429 and 5xx (``Retry-After`` honoured)."""

    attempts: int = Field(5, ge=1, le=20, description="total attempts per delivery")
    base_delay: float = Field(1.0, ge=0, description="first backoff, seconds (doubles)")
    max_delay: float = Field(30.0, ge=0, description="longest single wait, seconds")
    timeout: float = Field(10.0, gt=0, description="HTTP timeout per attempt, seconds")


class _Sink(_Strict):
    name: str | None = Field(None, description="label in journals and logs (default: the type)")
    events: list[Condition] | None = Field(
        None, description="conditions to alert on (default: all)"
    )
    retry: Retry = Field(default_factory=Retry)

    @property
    def label(self) -> str:
        return self.name or str(getattr(self, "type", "sink"))

    def wants(self, condition: Condition) -> bool:
        return self.events is None or condition in self.events


class _AlertShape(_Sink):
    """Opsgenie and JSM Ops share the alert API shape."""

    api_key: SecretRef
    base_url: str | None = Field(None, description="override the API base URL (tests, proxies)")
    responders: list[dict[str, str]] = Field(
        default_factory=list, description='e.g. [{type: team, name: "Orders"}]'
    )
    visible_to: list[dict[str, str]] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    entity: str | None = None
    source: str = "chaosrun"


class OpsgenieSink(_AlertShape):
    type: Literal["opsgenie"]
    region: Literal["us", "eu"] = "us"


class JsmSink(_AlertShape):
    """Jira Service Management Ops, API integration (``GenieKey`` auth)."""

    type: Literal["jsm"]


class PagerDutySink(_Sink):
    type: Literal["pagerduty"]
    routing_key: SecretRef
    base_url: str | None = None
    component: str | None = None
    group: str | None = None
    event_class: str | None = Field(None, alias="class")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class SlackSink(_Sink):
    type: Literal["slack"]
    webhook_url: SecretRef


class EventBridgeSink(_Sink):
    type: Literal["eventbridge"]
    event_bus_name: str = "default"
    region: str | None = None
    source: str = "chaosrun"
    detail_type: str = "Chaosrun Run Event"


class WebhookSink(_Sink):
    type: Literal["webhook"]
    url: SecretRef | str = Field(description="a URL, or a reference when it embeds a token")
    secret: SecretRef | None = Field(None, description="HMAC-SHA256 signing key")
    headers: dict[str, str] = Field(default_factory=dict, description="extra, non-secret headers")


SinkConfig = Annotated[
    OpsgenieSink | JsmSink | PagerDutySink | SlackSink | EventBridgeSink | WebhookSink,
    Field(discriminator="type"),
]


class AlertSettings(_Strict):
    """The settings file."""

    report_base_url: str | None = Field(
        None, description="where HTML reports are published; alerts link <base>/<run_id>.html"
    )
    sinks: list[SinkConfig] = Field(default_factory=list)


def load_settings(path: str | Path | None = None) -> AlertSettings:
    """Read the settings file (``--alerts FILE``, else the default; missing default = none)."""
    explicit = path is not None
    target = Path(path) if path is not None else default_settings_path()
    if not target.exists():
        if explicit:
            raise InvalidInput(f"{target}: alerts settings file not found")
        return AlertSettings()
    try:
        data = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{target}: not valid YAML: {exc}") from None
    if isinstance(data, list):
        data = {"sinks": data}
    try:
        return AlertSettings.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{target}: {_problems(exc)}") from None


@functools.cache
def sinks_adapter() -> TypeAdapter[list[SinkConfig]]:
    """Validates (and dumps) a list of sinks, as an experiment's ``chaosrun.alerts``."""
    return TypeAdapter(list[SinkConfig])


def parse_sinks(items: list[Any]) -> list[SinkConfig]:
    """Validate a list of sink mappings (e.g. from an experiment)."""
    try:
        return AlertSettings.model_validate({"sinks": items}).sinks
    except ValidationError as exc:
        raise InvalidInput(f"alerts: {_problems(exc)}") from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )
