"""failure-lambda configuration: both formats parse to one model and write back."""

from __future__ import annotations

import json

import pytest

from chaosrun.faults.failure_lambda_config import FailureConfig, LatencyFailure, disabled

V0 = {
    "isEnabled": True,
    "failureMode": "latency",
    "rate": 0.5,
    "minLatency": 100,
    "maxLatency": 400,
    "exceptionMsg": "boom",
    "statusCode": 404,
    "diskSpace": 100,
    "denylist": ["s3.*.amazonaws.com"],
}
V1 = {
    "latency": {"enabled": True, "percentage": 50, "min_latency": 100, "max_latency": 400},
    "exception": {"enabled": False, "exception_msg": "boom"},
    "statuscode": {"enabled": True, "status_code": 503},
    "denylist": {
        "enabled": True,
        "percentage": 25,
        "deny_list": ["dynamodb.*"],
        "match": [{"path": "requestContext.stage", "value": "prod"}],
    },
}


def test_parse_0x_keeps_only_the_selected_mode() -> None:
    cfg = FailureConfig.parse(json.dumps(V0))
    assert cfg.source_format == "0.x"
    assert cfg.enabled and cfg.active_modes() == ["latency"]
    assert cfg.latency == LatencyFailure(rate=0.5, min_ms=100, max_ms=400)
    assert cfg.exception is None and cfg.denylist is None


def test_parse_0x_disabled_and_missing_rate() -> None:
    cfg = FailureConfig.parse(
        '{"isEnabled": false, "failureMode": "exception", "exceptionMsg": "x"}'
    )
    assert not cfg.enabled and cfg.active_modes() == []
    assert cfg.exception is not None and cfg.exception.message == "x"
    assert cfg.exception.rate == 0  # 0.x never fires without a rate


def test_parse_1x_drops_disabled_flags_and_converts_percentages() -> None:
    cfg = FailureConfig.parse(json.dumps(V1))
    assert cfg.source_format == "1.x"
    assert cfg.active_modes() == ["latency", "denylist", "statuscode"]
    assert cfg.latency is not None and cfg.latency.rate == 0.5
    assert cfg.statuscode is not None and cfg.statuscode.rate == 1.0
    assert cfg.statuscode.status_code == 503
    assert cfg.denylist is not None and cfg.denylist.patterns == ["dynamodb.*"]
    assert cfg.exception is None


def test_parse_1x_all_disabled_or_empty() -> None:
    assert FailureConfig.parse('{"latency": {"enabled": false}}') == FailureConfig.parse("{}")
    assert not FailureConfig.parse("{}").enabled


def test_1x_round_trip() -> None:
    cfg = FailureConfig.parse(json.dumps(V1))
    again = FailureConfig.parse(cfg.to_json())
    assert again == cfg
    out = json.loads(cfg.to_json("1.x"))
    assert out["denylist"] == {
        "enabled": True,
        "percentage": 25,
        "deny_list": ["dynamodb.*"],
        "match": [{"path": "requestContext.stage", "value": "prod"}],
    }
    assert "exception" not in out


def test_0x_round_trip_and_cross_format() -> None:
    cfg = FailureConfig.parse(json.dumps(V0))
    out = json.loads(cfg.to_json("0.x"))
    assert out == {
        "isEnabled": True,
        "failureMode": "latency",
        "rate": 0.5,
        "minLatency": 100,
        "maxLatency": 400,
    }
    as_1x = FailureConfig.parse(cfg.to_json("1.x"))
    assert as_1x.model_copy(update={"source_format": "0.x"}) == cfg


def test_0x_refuses_what_it_cannot_express() -> None:
    cfg = FailureConfig.parse(json.dumps(V1))
    with pytest.raises(ValueError, match="one failure mode at a time"):
        cfg.to_json("0.x")
    with pytest.raises(ValueError, match="no timeout mode"):
        FailureConfig.parse('{"timeout": {"enabled": true}}').to_json("0.x")
    assert json.loads(disabled().to_json("0.x")) == {"isEnabled": False}


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", "not JSON"),
        ("[]", "JSON object"),
        ('{"isEnabled": true, "failureMode": "nope"}', "not a failure-lambda 0.x mode"),
        ('{"latency": {"enabled": true, "percentage": 150}}', "between 0 and 100"),
        ('{"latency": {"percentage": 10}}', "enabled must be"),
        ('{"statuscode": {"enabled": true, "status_code": 42}}', "status_code"),
        ('{"isEnabled": true, "failureMode": "latency", "rate": 3}', "rate"),
    ],
)
def test_invalid_configurations_are_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FailureConfig.parse(text)
