"""Sink configuration: secret references only, settings file, experiment extension."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chaosrun.alerts.config import (
    AlertSettings,
    OpsgenieSink,
    PagerDutySink,
    SecretRef,
    default_settings_path,
    load_settings,
    parse_sinks,
)
from chaosrun.errors import InvalidInput
from chaosrun.experiment.extensions import ChaosrunSettings

SETTINGS = """
report_base_url: https://chaos-reports.example.com/runs
sinks:
  - type: opsgenie
    region: eu
    api_key: {env: OPSGENIE_API_KEY}
    responders: [{type: team, name: Orders}]
  - type: jsm
    api_key: {ssm: /chaosrun/jsm-key}
  - type: pagerduty
    routing_key: {secretsmanager: chaosrun/pagerduty}
    class: chaos-experiment
    events: [restore_failed, aborted]
  - type: slack
    webhook_url: {env: SLACK_WEBHOOK_URL}
  - type: eventbridge
    event_bus_name: chaos
  - type: webhook
    url: https://hooks.example.com/chaos
    secret: {env: CHAOSRUN_WEBHOOK_SECRET}
"""


def test_settings_file_with_every_sink(tmp_path):
    path = tmp_path / "alerts.yaml"
    path.write_text(SETTINGS)
    s = load_settings(path)
    assert [x.type for x in s.sinks] == [
        "opsgenie", "jsm", "pagerduty", "slack", "eventbridge", "webhook"
    ]  # fmt: skip
    assert isinstance(s.sinks[0], OpsgenieSink) and s.sinks[0].region == "eu"
    pd = s.sinks[2]
    assert isinstance(pd, PagerDutySink) and pd.event_class == "chaos-experiment"
    assert not pd.wants("deviation") and pd.wants("aborted")  # type: ignore[arg-type]


def test_default_settings_path_and_missing_default(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAOSRUN_HOME", str(tmp_path))
    assert default_settings_path() == tmp_path / "alerts.yaml"
    assert load_settings() == AlertSettings()
    (tmp_path / "alerts.yaml").write_text(SETTINGS)
    assert len(load_settings().sinks) == 6
    with pytest.raises(InvalidInput, match="not found"):
        load_settings(tmp_path / "nope.yaml")


def test_literal_secrets_are_rejected():
    with pytest.raises(InvalidInput, match="may not be written literally"):
        parse_sinks([{"type": "pagerduty", "routing_key": "abcd1234"}])
    with pytest.raises(InvalidInput, match="exactly one"):
        parse_sinks([{"type": "slack", "webhook_url": {"env": "A", "ssm": "/b"}}])
    with pytest.raises(InvalidInput, match="type"):
        parse_sinks([{"type": "teams", "url": "x"}])


def test_experiment_alerts_validate_against_the_model():
    ok = ChaosrunSettings.model_validate(
        {"alerts": [{"type": "slack", "webhook_url": {"env": "SLACK_WEBHOOK_URL"}}]}
    )
    assert ok.alerts[0].type == "slack"
    with pytest.raises(ValidationError):
        ChaosrunSettings.model_validate(
            {"alerts": [{"type": "opsgenie", "api_key": "literal-key"}]}
        )


def test_secret_resolution(monkeypatch):
    monkeypatch.setenv("X_KEY", "value")
    assert SecretRef(env="X_KEY").resolve() == "value"
    with pytest.raises(InvalidInput, match="MISSING_KEY"):
        SecretRef(env="MISSING_KEY").resolve()


def test_secret_from_ssm():
    import boto3
    from moto import mock_aws

    from chaosrun.aws.clients import AwsClients, AwsSettings

    with mock_aws():
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name="/chaosrun/jsm-key", Value="from-ssm", Type="SecureString"
        )
        clients = AwsClients(AwsSettings(region="us-east-1"))
        assert SecretRef(ssm="/chaosrun/jsm-key").resolve(clients) == "from-ssm"
